"""The ensemble MLP's BatchNorm (per-member batch statistics) against ``torch.nn.BatchNorm1d``."""

import numpy as np
import torch

from rulesfacts.models import build_model
from rulesfacts.models.mlp import activation
from rulesfacts.tasks import make_split
from rulesfacts.train.config import TrainConfig


def _reference(model, i: int, cfg: TrainConfig):
    """Member i rebuilt from torch modules: Linear → act → BatchNorm1d → Linear."""
    w = model.member_weights(i)
    fc1 = torch.nn.Linear(w["W_in"].shape[1], cfg.width, bias=False)
    fc2 = torch.nn.Linear(cfg.width, w["W_out"].shape[0], bias=False)
    bn = torch.nn.BatchNorm1d(cfg.width)
    with torch.no_grad():
        fc1.weight.copy_(torch.from_numpy(w["W_in"]))
        fc2.weight.copy_(torch.from_numpy(w["W_out"]))
        bn.weight.copy_(torch.from_numpy(w["bn_weight"]))
        bn.bias.copy_(torch.from_numpy(w["bn_bias"]))
    return fc1, bn, fc2


def _onehot(x: np.ndarray, n_in: int) -> torch.Tensor:
    out = torch.zeros(len(x), n_in)
    out[torch.arange(len(x)), torch.from_numpy(x[:, 0])] = 1
    out[torch.arange(len(x)), torch.from_numpy(x[:, 1])] = 1
    return out


def test_batchnorm_matches_torch_in_train_and_eval_mode():
    cfgs = [TrainConfig(p=11, width=24, batchnorm=True, batch_size=16, seed=s) for s in (0, 1)]
    split = make_split(cfgs[0])
    model = build_model(cfgs, split, torch.device("cpu"))
    with torch.no_grad():  # a non-trivial affine part
        model.bn_weight.copy_(torch.rand_like(model.bn_weight) + 0.5)
        model.bn_bias.copy_(torch.randn_like(model.bn_bias))
    refs = [_reference(model, i, cfgs[i]) for i in range(2)]
    rng = np.random.default_rng(0)
    model.train()
    for _, bn, _ in refs:
        bn.train()
    for _ in range(4):  # several batches: the running statistics must follow torch's (momentum 0.1)
        idx = rng.choice(split.n_train, size=(2, 16), replace=False)
        x = torch.from_numpy(np.stack([split.x_train[idx[0]], split.x_train[idx[1]]]))
        got = model(x)
        for i, (fc1, bn, fc2) in enumerate(refs):
            expected = fc2(bn(activation("quadratic", fc1(_onehot(split.x_train[idx[i]], 22)))))
            torch.testing.assert_close(got[i], expected, rtol=1e-4, atol=1e-5)
    model.eval()
    x = torch.from_numpy(split.x_test).expand(2, -1, -1)
    got = model(x)
    for i, (fc1, bn, fc2) in enumerate(refs):
        bn.eval()
        torch.testing.assert_close(model.bn_mean[i, 0], bn.running_mean)
        torch.testing.assert_close(model.bn_var[i, 0], bn.running_var)
        expected = fc2(bn(activation("quadratic", fc1(_onehot(split.x_test, 22)))))
        torch.testing.assert_close(got[i], expected, rtol=1e-4, atol=1e-5)


def test_batchnorm_gradients_match_torch():
    cfg = TrainConfig(p=7, width=10, batchnorm=True, batch_size=12, seed=3)
    split = make_split(cfg)
    model = build_model([cfg], split, torch.device("cpu"))
    fc1, bn, fc2 = _reference(model, 0, cfg)
    x = split.x_train[:12]
    model(torch.from_numpy(x)[None]).pow(2).sum().backward()
    fc2(bn(activation("quadratic", fc1(_onehot(x, 14))))).pow(2).sum().backward()
    torch.testing.assert_close(model.w_in.grad[0].T, fc1.weight.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(model.bn_weight.grad[0, 0], bn.weight.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(model.bn_bias.grad[0, 0], bn.bias.grad, rtol=1e-4, atol=1e-5)
