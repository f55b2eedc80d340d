"""PAIR's tied-embedding model against a plain per-member, per-example implementation of its
formula, logits = ReLU(E[a] W_in + E[b] W_in) W_out Eᵀ, and the ensemble contract."""

import math

import numpy as np
import pytest
import torch

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.models import build_model
from rulesfacts.models.tied import EnsembleTied
from rulesfacts.tasks import make_split
from rulesfacts.training.evaluate import evaluate
from rulesfacts.training.rundir import load_run
from rulesfacts.training.trainer import train, train_ensemble
from tests.tolerance import Bounded, assert_within, trajectory_atol

BASE = TrainConfig(model="tied", p=7, d_embed=12, width=5, act="relu", loss="ce", train_frac=0.6, fact_frac=0.0,
                   lr=1e-2, wd=0.5, device="cpu")


def _model(cfgs):
    split = make_split(cfgs[0])
    return build_model(cfgs, split, torch.device("cpu")), split


def slow_forward(w: dict[str, np.ndarray], a: int, b: int) -> Bounded:
    """One example, the formula as written: each input's embedding row times W_in, summed, ReLU,
    W_out, then the embedding transposed. Exact (float64) from the float32 weights, with the
    bound on the rounding of any float32 implementation carried along."""
    w = {k: Bounded.float32(v) for k, v in w.items()}
    e = w["embed"]
    h = (e[a] @ w["W_in"] + e[b] @ w["W_in"]).relu()
    return (h @ w["W_out"]) @ e.T


@pytest.mark.parametrize("embed", ["learned", "circle"])
def test_matches_the_formula_member_by_member(embed):
    """Learned embedding, or PAIR's fixed circle (whose E the weights file carries too)."""
    base = BASE if embed == "learned" else BASE.replace(embed="circle", d_embed=2)
    cfgs = [base.replace(seed=s) for s in (3, 4)]
    model, split = _model(cfgs)
    x = torch.from_numpy(split.x_train)
    got = model(x.expand(2, -1, -1)).detach().numpy()
    for i in range(2):
        w = model.member_weights(i)
        assert w["embed"].shape == (7, base.d_embed)
        for row, (a, b) in enumerate(split.x_train):
            expected = slow_forward(w, a, b - 7)
            assert_within(got[i, row], expected.x, expected.e, f"member {i} logits of ({a}, {b - 7})")


def test_quadratic_activation_too():
    cfg = BASE.replace(act="quadratic", seed=1)
    model, split = _model([cfg])
    w = model.member_weights(0)
    got = model(torch.from_numpy(split.x_test)[None]).detach().numpy()[0]
    for row, (a, b) in enumerate(split.x_test):
        e = {k: Bounded.float32(v) for k, v in w.items()}
        z = e["embed"][a] @ e["W_in"] + e["embed"][b - 7] @ e["W_in"]
        expected = (z.square() @ e["W_out"]) @ e["embed"].T
        assert_within(got[row], expected.x, expected.e, f"logits of ({a}, {b - 7})")


def test_a_member_trains_in_its_ensemble_as_alone():
    """Batched members end at the weights of their lone runs, within the float32 tolerance of two
    summation orders over a short run (a batched product of M matrices may sum in another order
    than a single one)."""
    cfgs = [BASE.replace(seed=0, epochs=30, log_every=10), BASE.replace(seed=5, epochs=30, log_every=10,
                                                                         fact_frac=0.2, lr=3e-3, wd=0.0)]
    together = train_ensemble(cfgs, progress=False)
    for cfg, res in zip(cfgs, together, strict=True):
        alone = train(cfg, progress=False)
        assert [r["epoch"] for r in alone.metrics] == [r["epoch"] for r in res.metrics]
        longest = max(len(make_split(cfg).y_train), cfg.d_embed, cfg.p)  # the longest reduction
        atol = trajectory_atol(cfg.epochs, cfg.lr, longest)
        for k in alone.weights:
            assert_within(res.weights[k], alone.weights[k], atol, f"{k} of seed {cfg.seed}")


def test_weights_round_trip_and_default_init():
    cfg = TrainConfig(model="tied", p=11, d_embed=400, width=300, seed=0)
    model, _ = _model([cfg, cfg.replace(seed=1)])
    assert isinstance(model, EnsembleTied) and model.uses_dropout is False
    w = model.member_weights(1)
    assert w["embed"].shape == (11, 400) and w["W_in"].shape == (400, 300) and w["W_out"].shape == (300, 400)
    # documented init: E ~ N(0, 1/d), W_in ~ N(0, 1), W_out ~ N(0, 1/N); the sample std of n
    # normal draws is within 5/√(2n) of σ (relative) with overwhelming probability
    for name, std in (("embed", 1 / math.sqrt(400)), ("W_in", 1.0), ("W_out", 1 / math.sqrt(300))):
        assert abs(w[name].std() / std - 1) < 5 / math.sqrt(2 * w[name].size), name
    model.load_member_weights(0, w)
    for k, v in w.items():
        np.testing.assert_array_equal(model.member_weights(0)[k], v)
    norms = model.weight_norms().numpy()
    want_in = float((w["embed"].astype(np.float64) ** 2).sum() + (w["W_in"].astype(np.float64) ** 2).sum())
    assert norms[0, 0] == pytest.approx(want_in, rel=1e-5)
    assert norms[0, 1] == pytest.approx(float((w["W_out"].astype(np.float64) ** 2).sum()), rel=1e-5)


def test_a_run_folder_evaluates_to_its_logged_metrics(tmp_path):
    cfg = BASE.replace(epochs=40, log_every=20, n_snapshots=2, seed=2)
    result = train(cfg, tmp_path / "run", progress=False)
    assert (tmp_path / "run" / "weights.npz").exists()
    again = evaluate(cfg, load_run(tmp_path / "run").weights())
    assert again["test_acc"] == pytest.approx(result.summary["test_acc"])
    assert again["train_acc"] == pytest.approx(result.summary["train_acc"])


def test_what_the_model_does_not_have_is_refused():
    with pytest.raises(ConfigError, match="dropout"):
        TrainConfig(model="tied", dropout=0.1)
    with pytest.raises(ConfigError, match="batchnorm"):
        TrainConfig(model="tied", batchnorm=True, batch_size=8)
    with pytest.raises(ConfigError, match="bias"):
        TrainConfig(model="tied", bias=True)
    with pytest.raises(ConfigError, match="token inputs"):
        TrainConfig(model="tied", task="parity", loss="ce")
    with pytest.raises(ConfigError, match="d_embed"):
        TrainConfig(model="tied", d_embed=0)


def test_analyze_reads_the_embedding_spectrum(tmp_path):
    """``rulesfacts analyze`` on a tied run: the Fourier energy of its final embedding E (p, d)."""
    from rulesfacts.analysis.pipeline import analyze_run
    from rulesfacts.analysis.transformer import frequency_energy, top_energy

    cfg = BASE.replace(epochs=20, log_every=10, n_snapshots=2, seed=6)
    train(cfg, tmp_path / "run", progress=False)
    summary = analyze_run(tmp_path / "run")
    emb = load_run(tmp_path / "run").weights()["embed"]
    assert summary["model"] == "tied" and emb.shape == (7, 12)
    assert summary["top_energy"] == pytest.approx(top_energy(frequency_energy(emb, 7)))
    assert (tmp_path / "run" / "analysis" / "embedding.csv").exists()
