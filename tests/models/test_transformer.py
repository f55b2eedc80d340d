"""The batched one-layer transformer against a plain per-example implementation with a full
causal mask over all three positions (Nanda et al. 2023's architecture, no LayerNorm)."""

import math

import numpy as np
import pytest
import torch

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.models import build_model
from rulesfacts.models.transformer import EnsembleTransformer
from rulesfacts.tasks import make_split
from rulesfacts.training.evaluate import evaluate
from rulesfacts.training.rundir import load_run
from rulesfacts.training.trainer import train
from tests.tolerance import Bounded, addmm, assert_within, concat


def _model(cfgs):
    split = make_split(cfgs[0])
    return build_model(cfgs, split, torch.device("cpu")), split


def slow_forward(w: dict[str, np.ndarray], a: int, b: int, p: int, n_heads: int) -> Bounded:
    """Every position, causal mask, explicit loops over heads; logits read at "=" (position 2).
    Computed exactly (float64) from the float32 weights, with the running bound on the rounding
    of any float32 implementation of the same formulas carried along (``tests/tolerance.py``)."""
    w = {k: Bounded.float32(v) for k, v in w.items()}
    x = w["embed"][[a, b, p]] + w["pos"]  # (3, d)
    d = x.x.shape[1]
    dh = d // n_heads
    q, k, v = x @ w["W_Q"], x @ w["W_K"], x @ w["W_V"]
    causal = np.tril(np.ones((3, 3), bool))
    heads = []
    for h in range(n_heads):
        cols = slice(h * dh, (h + 1) * dh)
        scores = (q[:, cols] @ k[:, cols].T) * (1 / math.sqrt(dh))
        heads.append(scores.softmax(-1, where=causal) @ v[:, cols])
    r = x + concat(heads, axis=1) @ w["W_O"]
    r = r + addmm(w["b_mlp_out"], addmm(w["b_mlp_in"], r, w["W_mlp_in"]).relu(), w["W_mlp_out"])
    return (r @ w["unembed"])[2]


def test_matches_a_plain_causal_implementation():
    cfg = TrainConfig(model="transformer", p=7, d_model=16, n_heads=4, seed=3)
    model, split = _model([cfg])
    w = model.member_weights(0)
    # non-zero biases so the test sees them
    w["b_mlp_in"] = np.random.default_rng(0).normal(size=w["b_mlp_in"].shape).astype(np.float32)
    w["b_mlp_out"] = np.random.default_rng(1).normal(size=w["b_mlp_out"].shape).astype(np.float32)
    model.load_member_weights(0, w)
    got = model(torch.from_numpy(split.x_train)[None]).detach().numpy()[0]
    for row, (a, b) in enumerate(split.x_train):
        expected = slow_forward(w, a, b - 7, 7, 4)
        assert_within(got[row], expected.x, expected.e, f"logits of ({a}, {b - 7})")


def test_members_are_independent_of_their_ensemble():
    cfgs = [TrainConfig(model="transformer", p=5, d_model=8, n_heads=2, seed=s) for s in (0, 1, 2)]
    ens, split = _model(cfgs)
    alone, _ = _model([cfgs[1]])
    x = torch.from_numpy(split.x_test)
    # two float32 forwards of the same member, each within its rounding bound of the exact logits
    w = alone.member_weights(0)
    bound = np.stack([slow_forward(w, a, b - 5, 5, 2).e for a, b in split.x_test])
    assert_within(ens(x.expand(3, -1, -1))[1], alone(x[None])[0], 2 * bound, "member in ensemble vs alone")
    for k, v in alone.member_weights(0).items():
        np.testing.assert_array_equal(ens.member_weights(1)[k], v)


def test_weights_round_trip_and_default_init():
    cfg = TrainConfig(model="transformer", p=11, d_model=32, n_heads=4, seed=0)
    model, _ = _model([cfg, cfg.replace(seed=1)])
    assert isinstance(model, EnsembleTransformer) and model.uses_dropout is False
    w = model.member_weights(1)
    assert w["embed"].shape == (12, 32) and w["pos"].shape == (3, 32) and w["unembed"].shape == (32, 11)
    assert w["W_mlp_in"].shape == (32, 128)
    # documented init: N(0, 1/d_model), unembed N(0, 1/n_out), biases 0
    assert abs(w["W_mlp_in"].std() - 1 / math.sqrt(32)) < 0.01
    assert abs(w["unembed"].std() - 1 / math.sqrt(11)) < 0.03
    assert not w["b_mlp_in"].any()
    model.load_member_weights(0, w)
    for k, v in w.items():
        np.testing.assert_array_equal(model.member_weights(0)[k], v)


def test_trains_with_the_shared_trainer(tmp_path):
    """Full batch AdamW through ``train``: the training set is fit and a run folder is written."""
    cfg = TrainConfig(model="transformer", p=7, d_model=16, n_heads=2, train_frac=0.6, fact_frac=0.0, loss="ce",
                      lr=3e-2, wd=0.0, epochs=60, log_every=20, n_snapshots=2, device="cpu")
    result = train(cfg, tmp_path / "run", progress=False)
    assert result.summary["train_acc"] == 1.0
    assert result.summary["epoch_train_99"] is not None
    assert (tmp_path / "run" / "weights.npz").exists()
    # the saved weights evaluate to the logged final metrics (load_member_weights ∘ member_weights)
    again = evaluate(cfg, load_run(tmp_path / "run").weights())
    assert again["test_acc"] == pytest.approx(result.summary["test_acc"])


def test_regularizers_of_the_mlp_are_rejected():
    with pytest.raises(ConfigError, match="dropout"):
        TrainConfig(model="transformer", dropout=0.1)
    with pytest.raises(ConfigError, match="batchnorm"):
        TrainConfig(model="transformer", batchnorm=True, batch_size=8)
