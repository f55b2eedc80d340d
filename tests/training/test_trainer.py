"""The ensemble trainer against an independent, one-model-at-a-time PyTorch implementation
(``nn.Linear`` on one-hot inputs + ``torch.optim.AdamW`` + ``nn.MSELoss``, as the paper's code).

Bit-exact ensemble = lone runs (autograd path), determinism and divergence handling are tested in
tests/training/test_resume.py."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from rulesfacts import TrainConfig, load_run, train, train_ensemble
from rulesfacts.tasks import make_split
from tests.tolerance import U_FLOAT32, U_FLOAT64, trajectory_atol


def reference_train(cfg: TrainConfig, w_in: np.ndarray, w_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch training of one model the straightforward way; returns final (W_in, W_out)."""
    split = make_split(cfg)
    p, n = cfg.p, split.n_train
    x = torch.zeros(n, 2 * p)
    x[torch.arange(n), torch.from_numpy(split.x_train[:, 0])] = 1
    x[torch.arange(n), torch.from_numpy(split.x_train[:, 1])] = 1
    y = torch.from_numpy(split.y_train)
    fc1, fc2 = nn.Linear(2 * p, cfg.width, bias=False), nn.Linear(cfg.width, p, bias=False)
    with torch.no_grad():
        fc1.weight.copy_(torch.from_numpy(w_in))
        fc2.weight.copy_(torch.from_numpy(w_out))
    params = [fc1.weight, fc2.weight]
    opt = torch.optim.AdamW(params, lr=cfg.lr, betas=cfg.betas, eps=cfg.adam_eps, weight_decay=cfg.wd)
    for _ in range(cfg.epochs):
        opt.zero_grad()
        out = fc2(fc1(x) ** 2)
        if cfg.loss == "mse":
            loss = nn.MSELoss()(out, nn.functional.one_hot(y, p).float())
        else:
            loss = nn.CrossEntropyLoss()(out, y)
        loss = loss + sum(cfg.l1 * w.abs().sum() + cfg.l2 / 2 * w.pow(2).sum() for w in params)
        loss.backward()
        opt.step()
    return fc1.weight.detach().numpy(), fc2.weight.detach().numpy()


def initial_weights(cfg: TrainConfig) -> dict:
    return train(cfg.replace(epochs=1, lr=1e-30, wd=0.0, l1=0.0, l2=0.0), progress=False).weights


@pytest.mark.parametrize("changes", [
    {"loss": "mse", "wd": 1.0},
    {"loss": "ce", "wd": 0.5, "lr": 3e-3},
    {"loss": "mse", "l1": 1e-4, "l2": 1e-3},
])
def test_matches_one_model_reference(changes):
    cfg = TrainConfig(p=11, width=24, epochs=40, fact_frac=0.2, seed=2, log_every=40, **changes)
    init = initial_weights(cfg)
    ref_in, ref_out = reference_train(cfg, init["W_in"], init["W_out"])
    got = train(cfg, progress=False).weights
    # two float32 trainings of the same math (gathers vs one-hot products, our AdamW vs torch's)
    atol = trajectory_atol(cfg.epochs, cfg.lr, max(make_split(cfg).n_train, cfg.width, 2 * cfg.p))
    np.testing.assert_allclose(got["W_in"], ref_in, rtol=0, atol=atol)
    np.testing.assert_allclose(got["W_out"], ref_out, rtol=0, atol=atol)


def test_ensemble_equals_each_member_alone():
    """The hand-written full-batch path: members with their own lr, wd, l2 and labels train in
    one batch as they do alone (blocks of several members vs one: another summation order)."""
    base = TrainConfig(p=13, width=32, epochs=60, log_every=20)
    cfgs = [base.replace(seed=0, wd=0.0, fact_frac=0.1), base.replace(seed=1, wd=2.0, fact_frac=0.4, lr=5e-3),
            base.replace(seed=2, wd=0.5, fact_frac=0.0, l2=1e-3)]
    together = train_ensemble(cfgs, progress=False)
    split = make_split(base)
    atol = trajectory_atol(base.epochs, max(c.lr for c in cfgs), max(split.n_train, base.width, base.p))
    for cfg, res in zip(cfgs, together, strict=True):
        alone = train(cfg, progress=False)
        for k in ("W_in", "W_out"):
            np.testing.assert_allclose(res.weights[k], alone.weights[k], rtol=0, atol=atol)
        for a, b in zip(res.metrics, alone.metrics, strict=True):
            assert a["epoch"] == b["epoch"]
            # weights this close can flip the argmax of at most a near-tied example: allow one
            assert a["train_acc"] == pytest.approx(b["train_acc"], abs=1.5 / split.n_train)
            assert a["test_acc"] == pytest.approx(b["test_acc"], abs=1.5 / len(split.y_test))


def test_subset_metrics_are_consistent():
    cfg = TrainConfig(p=17, width=64, epochs=150, fact_frac=0.3, log_every=50, seed=1)
    res = train(cfg, progress=False)
    n_facts, n_train = res.summary["n_facts"], res.summary["n_train"]
    # each accuracy is an exact count divided by the subset size in float32: relative error ≤ u
    for row in res.metrics:
        # a fact cannot be predicted both with its (wrong) label and with the true one
        assert row["facts_memorized"] + row["facts_recovered"] <= 1 + 2 * U_FLOAT32
        # all-train accuracy is the count-weighted mix of clean and memorized facts
        mix = (row["clean_acc"] * (n_train - n_facts) + row["facts_memorized"] * n_facts) / n_train
        assert row["train_acc"] == pytest.approx(mix, abs=2 * U_FLOAT32 + 8 * U_FLOAT64)
    clean = train(cfg.replace(fact_frac=0.0, epochs=10), progress=False)
    assert clean.summary["facts_memorized"] is None and clean.summary["n_facts"] == 0


def test_run_folder(tmp_path):
    cfg = TrainConfig(p=11, width=16, epochs=50, log_every=5, n_snapshots=4, fact_frac=0.2)
    res = train(cfg, tmp_path / "run", progress=False)
    run = load_run(tmp_path / "run")
    assert run.config == cfg
    assert list(run.metrics["epoch"]) == list(range(0, 51, 5))
    assert run.snapshot_epochs() == [0, 15, 35, 50]
    assert run.snapshot(50)["W_in"].shape == (16, 22)
    np.testing.assert_array_equal(run.weights()["W_out"], res.weights["W_out"])
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["test_acc"] == res.summary["test_acc"]
    assert not (tmp_path / "run" / "checkpoint.pt").exists()

