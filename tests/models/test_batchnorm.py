"""The ensemble MLP's BatchNorm (per-member batch statistics) against ``torch.nn.BatchNorm1d``."""

import numpy as np
import torch

from rulesfacts.config.train import TrainConfig
from rulesfacts.models import build_model
from rulesfacts.models.mlp import BN_EPS, BN_MOMENTUM, activation
from rulesfacts.tasks import make_split
from tests.tolerance import U_FLOAT32, Bounded, assert_within, scatter_add


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


def _bn(h: Bounded, mean: Bounded, var: Bounded, gamma: Bounded, beta: Bounded) -> Bounded:
    """γ(h − μ)/√(σ² + ε) + β, bounded for both ways of computing it: as written, and torch's
    fused h·α + (β − μα), α = γ/√(σ² + ε), whose roundings are of |h|·α rather than |h − μ|·α."""
    rstd = (var + BN_EPS).rsqrt()
    direct = (h - mean) * rstd * gamma + beta
    alpha = rstd * gamma
    fused = h * alpha + (beta - mean * alpha)
    return Bounded(direct.x, np.maximum(direct.e, fused.e))


def _lerp(r: Bounded, x: Bounded) -> Bounded:
    """A running statistic's update, r + m(x − r) (ours) or (1 − m)r + m·x (torch):
    (1 − m)e_r + m·e_x + 3u(|r| + |x|) covers the roundings of either."""
    m = BN_MOMENTUM
    return Bounded(r.x + m * (x.x - r.x), (1 - m) * r.e + m * x.e + 3 * U_FLOAT32 * (np.abs(r.x) + np.abs(x.x)))


class _Exact:
    """Member i's float32 parameters as exact inputs of the bounded (float64) computation."""

    def __init__(self, model, i: int):
        self.w_in, self.w_out = Bounded.float32(model.w_in[i]), Bounded.float32(model.w_out[i])
        self.gamma, self.beta = Bounded.float32(model.bn_weight[i, 0]), Bounded.float32(model.bn_bias[i, 0])

    def hidden(self, tokens: np.ndarray) -> tuple[Bounded, Bounded]:
        pre = self.w_in[tokens[:, 0]] + self.w_in[tokens[:, 1]]
        return pre, pre.square()


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
    # both sides are float32 computations of the same formulas: each within the running rounding
    # bound of the exact (float64) values, so they differ by at most twice that bound
    exact = [_Exact(model, i) for i in range(2)]
    running = [(Bounded.float32(np.zeros(24)), Bounded.float32(np.ones(24))) for _ in range(2)]
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
            _, h = exact[i].hidden(split.x_train[idx[i]])
            mean, var = h.mean(axis=0), h.var(axis=0)
            logits = _bn(h, mean, var, exact[i].gamma, exact[i].beta) @ exact[i].w_out
            assert_within(got[i], expected, 2 * logits.e, "train-mode logits")
            running[i] = (_lerp(running[i][0], mean), _lerp(running[i][1], var * (16 / 15)))  # unbiased
    model.eval()
    x = torch.from_numpy(split.x_test).expand(2, -1, -1)
    got = model(x)
    for i, (fc1, bn, fc2) in enumerate(refs):
        bn.eval()
        r_mean, r_var = running[i]
        assert_within(model.bn_mean[i, 0], bn.running_mean, 2 * r_mean.e, "running mean")
        assert_within(model.bn_var[i, 0], bn.running_var, 2 * r_var.e, "running var")
        expected = fc2(bn(activation("quadratic", fc1(_onehot(split.x_test, 22)))))
        _, h = exact[i].hidden(split.x_test)
        logits = _bn(h, r_mean, r_var, exact[i].gamma, exact[i].beta) @ exact[i].w_out
        assert_within(got[i], expected, 2 * logits.e, "eval-mode logits")


def test_batchnorm_gradients_match_torch():
    cfg = TrainConfig(p=7, width=10, batchnorm=True, batch_size=12, seed=3)
    split = make_split(cfg)
    model = build_model([cfg], split, torch.device("cpu"))
    fc1, bn, fc2 = _reference(model, 0, cfg)
    x = split.x_train[:12]
    model(torch.from_numpy(x)[None]).pow(2).sum().backward()
    fc2(bn(activation("quadratic", fc1(_onehot(x, 14))))).pow(2).sum().backward()
    # BatchNorm's backward, with its rounding bound: dy = ∂L/∂(BN output), ∂β = Σ dy,
    # ∂γ = Σ dy·x̂, ∂h = (dy·γ − mean(dy·γ) − x̂·mean(dy·γ·x̂)) / √(σ² + ε), ∂z = ∂h·2z, ∂W_in a
    # scatter-add. Autograd (through var_mean) and torch's fused kernel group the same terms
    # differently, so the bound of this one grouping is doubled for each side.
    e = _Exact(model, 0)
    pre, h = e.hidden(x)
    mean, var = h.mean(axis=0), h.var(axis=0)
    rstd = (var + BN_EPS).rsqrt()
    xhat = (h - mean) * rstd
    logits = _bn(h, mean, var, e.gamma, e.beta) @ e.w_out
    dy = (logits * 2.0) @ e.w_out.T
    dxhat = dy * e.gamma
    dh = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) * rstd
    d_in = scatter_add(14, np.concatenate([x[:, 0], x[:, 1]]), (dh * (pre * 2.0))[np.r_[np.arange(12), np.arange(12)]])
    assert_within(model.w_in.grad[0].T, fc1.weight.grad, 4 * d_in.e.T, "∂W_in")
    assert_within(model.bn_weight.grad[0, 0], bn.weight.grad, 4 * (dy * xhat).sum(axis=0).e, "∂γ")
    assert_within(model.bn_bias.grad[0, 0], bn.bias.grad, 4 * dy.sum(axis=0).e, "∂β")
