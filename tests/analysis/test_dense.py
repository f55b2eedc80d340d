"""Per-neuron statistics of MLPs on dense inputs against hand-built networks with known answers,
an independent loop, closed forms, and the ``rulesfacts analyze`` command on a trained RAF run."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from rulesfacts.analysis.dense import (
    chance_alignment,
    dense_neuron_table,
    fact_selectivity,
    hidden_activity,
    rule_alignment,
    selectivity_threshold,
)
from rulesfacts.config.train import TrainConfig
from rulesfacts.tasks.base import Split
from rulesfacts.tasks.raf import teacher_of
from tests.cli_helpers import run_cli


def test_a_neuron_along_the_teacher_has_cosine_one():
    cfg = TrainConfig(task="raf", model="mlp", d=12, alpha=2.0, width=4)
    t = teacher_of(cfg)
    other = np.linalg.svd(t[None])[2][1]  # a unit vector orthogonal to w*
    w_in = np.stack([3.0 * t, -0.5 * t, other, np.zeros(12)])
    align = rule_alignment(cfg, w_in)
    assert align[:3] == pytest.approx([1.0, -1.0, 0.0], abs=1e-12) and np.isnan(align[3])


def test_parity_alignment_is_the_share_on_the_relevant_bits():
    from rulesfacts.tasks.parity import parity_subset

    cfg = TrainConfig(task="parity", n_bits=10, k=3, width=3)
    s = parity_subset(10, 3, cfg.effective_data_seed)
    w = np.zeros((3, 10))
    w[0, s] = [1.0, -2.0, 0.5]  # all mass on the subset
    w[1] = 1.0  # spread evenly: k/n
    w[2, np.setdiff1d(np.arange(10), s)[0]] = 4.0  # none on the subset
    assert rule_alignment(cfg, w) == pytest.approx([1.0, 0.3, 0.0])
    assert chance_alignment(cfg) == 0.3


def test_chance_alignment_of_a_random_direction():
    # E|cos| of a uniform direction: 2/π in the plane (|cos θ| over a uniform angle), 1/2 in 3-D
    # (cos θ is uniform on [−1, 1]: Archimedes)
    assert chance_alignment(TrainConfig(task="raf", d=2)) == pytest.approx(2 / math.pi, rel=1e-12)
    assert chance_alignment(TrainConfig(task="raf", d=3)) == pytest.approx(0.5, rel=1e-12)
    assert chance_alignment(TrainConfig(task="images")) is None


def selectivity_loop(activity, is_fact):
    """The definition, neuron by neuron."""
    out = []
    for k in range(activity.shape[1]):
        f = [a for a, m in zip(activity[:, k], is_fact, strict=True) if m]
        c = [a for a, m in zip(activity[:, k], is_fact, strict=True) if not m]
        mf, mc = sum(f) / len(f), sum(c) / len(c)
        out.append((mf - mc) / (mf + mc) if mf + mc > 0 else math.nan)
    return np.array(out)


def hand_split(n: int = 40, n_facts: int = 10) -> Split:
    """Feature 0 is +1 on facts and −1 on clean examples, feature 1 is 1 everywhere, feature 2 noise."""
    rng = np.random.default_rng(0)
    is_fact = np.zeros(n, bool)
    is_fact[rng.permutation(n)[:n_facts]] = True
    x = np.stack([np.where(is_fact, 1.0, -1.0), np.ones(n), rng.normal(size=n)], axis=1).astype(np.float32)
    y = rng.integers(0, 2, n)
    return Split(x_train=x, y_train=y, y_train_true=y, is_fact=is_fact, x_test=x[:4], y_test=y[:4], n_classes=2,
                 vocab=0)


def test_selectivity_of_neurons_that_fire_on_facts_only_on_clean_only_and_on_both():
    split = hand_split()
    cfg = TrainConfig(task="images", model="mlp", width=4, act="relu")
    # relu(x0): facts only; relu(x1): every example alike; relu(−x0): clean only; zero: never fires
    weights = {"W_in": np.array([[1.0, 0, 0], [0, 1.0, 0], [-1.0, 0, 0], [0, 0, 0]]), "W_out": np.ones((2, 4))}
    table = dense_neuron_table(cfg, weights, split)
    sel, share = table["fact_selectivity"].to_numpy(), table["fact_share"].to_numpy()
    assert sel[:3] == pytest.approx([1.0, 0.0, -1.0], abs=1e-12) and np.isnan(sel[3])
    assert share[:3] == pytest.approx([1.0, 10 / 40, 0.0], abs=1e-12)
    # the shuffled-facts threshold lies below 1: only neuron 0 is a fact neuron
    assert table["fact_neuron"].tolist() == [True, False, False, False]
    assert table.attrs["threshold"] < 1 and table.attrs["expected_by_chance"] == pytest.approx(0.04)
    assert table["norm_in"].tolist() == [1, 1, 1, 0] and table["scale"].tolist() == pytest.approx([2**0.5] * 3 + [0])


def test_selectivity_and_threshold_against_the_definition():
    rng = np.random.default_rng(3)
    activity = rng.exponential(size=(60, 7))
    is_fact = rng.random(60) < 0.25
    activity[is_fact, 2] *= 4  # one neuron prefers the facts
    sel, _ = fact_selectivity(activity, is_fact)
    assert sel == pytest.approx(selectivity_loop(activity, is_fact), rel=1e-12)
    # the threshold: the 99th percentile of the same statistic with the marks permuted, pooled
    perm = np.random.default_rng(11)
    null = np.concatenate([selectivity_loop(activity, perm.permutation(is_fact)) for _ in range(20)])
    assert selectivity_threshold(activity, is_fact, seed=11) == pytest.approx(np.quantile(null, 0.99), rel=1e-12)
    assert selectivity_threshold(activity, np.zeros(60, bool)) is None


@pytest.mark.parametrize(("act", "bias"), [("quadratic", False), ("relu", True), ("gelu", False)])
def test_hidden_activity_is_the_layers_formula(act, bias):
    import torch

    split = hand_split()
    cfg = TrainConfig(task="images", model="mlp", width=5, act=act, bias=bias)
    rng = np.random.default_rng(1)
    w = {"W_in": rng.normal(size=(5, 3)), "W_out": rng.normal(size=(2, 5))}
    if bias:
        w |= {"b_in": rng.normal(size=5), "b_out": rng.normal(size=2)}
    z = split.x_train.astype(np.float64) @ w["W_in"].T + (w["b_in"] if bias else 0)
    expected = {"quadratic": z**2, "relu": np.maximum(z, 0),
                "gelu": torch.nn.functional.gelu(torch.from_numpy(z)).numpy()}[act]
    got = hidden_activity(cfg, w, split, split.x_train)
    # float32 forward: a few units of float32 rounding on values of size |z|² ≲ 100
    np.testing.assert_allclose(got, np.abs(expected), rtol=1e-5, atol=1e-5 * np.abs(expected).max())


def test_a_task_that_declares_its_rule_direction_gets_the_alignment(tmp_path, monkeypatch):
    """Any task, a plug-in too, declares where its rule lives (``Task.rule``) and the per-neuron
    table measures each neuron against it; the analysis knows no task by name."""
    import dataclasses

    from rulesfacts.analysis.dense import plot_dense_neurons
    from rulesfacts.tasks import REGISTRY
    from rulesfacts.tasks.base import RuleDirection, cosines, random_cosine

    v = np.array([0.0, 3.0, 4.0])  # the rule's direction in the 3 input features of ``hand_split``
    rule = RuleDirection("v", "|cos(w_in, v)|", lambda c, w: cosines(w, v), lambda c: random_cosine(3))
    cfg = TrainConfig(task="images", model="mlp", width=4, act="relu")
    weights = {"W_in": np.array([[0, 0.6, 0.8], [0, -3.0, -4.0], [1.0, 0, 0], [0, 0, 0]]), "W_out": np.ones((2, 4))}
    before = dense_neuron_table(cfg, weights, hand_split())
    assert before.attrs["rule"] is None and before.attrs["chance_alignment"] is None
    assert before["alignment"].isna().all()

    monkeypatch.setitem(REGISTRY, "images", dataclasses.replace(REGISTRY["images"], rule=rule))
    table = dense_neuron_table(cfg, weights, hand_split())
    align = table["alignment"].to_numpy()
    # along v, against v, orthogonal to v, the zero row
    assert align[:3] == pytest.approx([1.0, -1.0, 0.0], abs=1e-12) and np.isnan(align[3])
    # in 3-D cos θ is uniform on [−1, 1] (Archimedes): E|cos| = 1/2
    assert table.attrs["chance_alignment"] == pytest.approx(0.5, rel=1e-12)
    assert (table.attrs["rule"], table.attrs["rule_axis"]) == ("v", "|cos(w_in, v)|")
    # the other columns do not depend on the rule
    pd.testing.assert_frame_equal(table.drop(columns="alignment"), before.drop(columns="alignment"))
    assert plot_dense_neurons(table, tmp_path / "n.png", "v").stat().st_size > 0


def test_analyze_a_raf_mlp_run_writes_the_neuron_table(tmp_path, capsys):
    from rulesfacts.training.trainer import train

    cfg = TrainConfig(task="raf", model="mlp", d=20, alpha=4.0, fact_frac=0.2, width=16, epochs=40, log_every=20,
                      n_snapshots=2, device="cpu", act="relu", loss="ce", test_size=50)
    run = tmp_path / "raf"
    train(cfg, run, progress=False)
    code, out, _ = run_cli(["analyze", str(run), "--quiet", "--json"], capsys)
    assert code == 0
    summary = json.loads(out)
    table = pd.read_csv(run / "analysis" / "neurons.csv")
    assert len(table) == 16 and summary["n_neurons"] == 16 and summary["alignment"] == "teacher"
    assert summary["n_fact_neurons"] == int(table["fact_neuron"].sum())
    assert summary["chance_alignment"] == pytest.approx(chance_alignment(cfg))
    a, s = table["alignment"].abs(), table["scale"]
    assert summary["alignment_scale_weighted"] == pytest.approx((a * s).sum() / s.sum(), rel=1e-5)
    # the table's cosines are the final weights' against the teacher
    from rulesfacts.training.rundir import load_run

    w = load_run(run).weights()["W_in"].astype(np.float64)
    t = teacher_of(cfg)
    cos = w @ t / np.linalg.norm(w, axis=1) / np.linalg.norm(t)
    np.testing.assert_allclose(table["alignment"], cos, rtol=1e-5, atol=1e-6)
    assert (run / "analysis" / "neurons.png").stat().st_size > 0 and (run / "analysis" / "summary.json").is_file()


def test_analyze_a_parity_run_adds_the_neuron_table_to_the_bit_measures(tmp_path, capsys):
    from rulesfacts.tasks.parity import parity_subset
    from rulesfacts.training.rundir import load_run
    from rulesfacts.training.trainer import train

    cfg = TrainConfig(task="parity", n_bits=10, k=3, train_size=200, test_size=100, width=12, epochs=40, log_every=20,
                      n_snapshots=2, device="cpu", fact_frac=0.1, act="relu", loss="ce")
    run = tmp_path / "parity"
    train(cfg, run, progress=False)
    code, out, _ = run_cli(["analyze", str(run), "--quiet", "--json"], capsys)
    assert code == 0
    summary = json.loads(out)
    assert "relevant_mass" in summary and summary["alignment"] == "relevant bits"
    assert summary["chance_alignment"] == pytest.approx(0.3) and summary["n_neurons"] == 12
    assert {"parity.csv", "neurons.csv"} <= set(summary["files"])
    table = pd.read_csv(run / "analysis" / "neurons.csv")
    w = np.abs(load_run(run).weights()["W_in"].astype(np.float64))
    s = parity_subset(10, 3, cfg.effective_data_seed)
    np.testing.assert_allclose(table["alignment"], w[:, s].sum(1) / w.sum(1), rtol=1e-5)
