"""``rulesfacts analyze`` and ``rulesfacts analytic`` through the real CLI entry point."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.cli_helpers import run_cli


def test_analytic_json(capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run_cli(["analytic", "--p", "13", "--width", "200", "--json"], capsys)
    assert code == 0
    summary = json.loads(out)
    assert summary["test_acc"] >= 0.99 and summary["all_acc"] >= 0.99 and summary["p"] == 13


def test_analytic_bad_p_is_one_line(capsys: pytest.CaptureFixture) -> None:
    code, out, err = run_cli(["analytic", "--p", "2", "--json"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("error: p=2") and err.count("\n") == 1
    code, out, err = run_cli(["analytic", "--p", "13", "--seed", "-1", "--json"], capsys)
    assert code == 2 and out == "" and err.startswith("error: seed=-1")


def test_analyze_writes_tables_and_figures(tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    code, out, _ = run_cli(["analyze", str(run), "--steps", "4", "--quiet", "--json"], capsys)
    assert code == 0
    summary = json.loads(out)
    assert summary["n_generalizing"] + summary["n_memorizing"] == 48
    for name in ("neurons.csv", "pruning.csv", "dynamics.csv", "neurons.png", "pruning.png", "dynamics.png",
                 "summary.json"):
        assert (run / "analysis" / name).is_file(), name
    neurons = pd.read_csv(run / "analysis" / "neurons.csv")
    assert len(neurons) == 48 and (neurons["label"] == "memorizing").sum() == summary["n_memorizing"]
    curves = pd.read_csv(run / "analysis" / "pruning.csv")
    assert set(curves["order"]) == {"low", "high"}
    assert (curves.loc[curves["n_pruned"] == 48, "facts_memorized"] <= 1).all()


def test_analyze_rejects_bad_input_without_writing(tmp_path: Path, tiny_run: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    code, out, err = run_cli(["analyze", str(tmp_path / "missing"), "--json"], capsys)
    assert code == 2 and out == "" and err.startswith("error:") and err.count("\n") == 1
    code, _, err = run_cli(["analyze", str(tiny_run), "--r", "1", "--json"], capsys)
    assert code == 2 and "r=1" in err
    assert not (tiny_run / "analysis").exists()


def test_analyze_dispatches_on_the_model(tiny_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture) -> None:
    from rulesfacts.analysis import pipeline

    monkeypatch.setattr(pipeline, "ANALYZERS", {"mlp": lambda run, out, opts, adv: {"model": "custom", "k": 1}})
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    code, out, _ = run_cli(["analyze", str(run), "--json"], capsys)
    assert code == 0 and json.loads(out)["k"] == 1
    monkeypatch.setattr(pipeline, "ANALYZERS", {})
    fresh = tmp_path / "fresh"
    shutil.copytree(tiny_run, fresh)
    code, _, err = run_cli(["analyze", str(fresh), "--json"], capsys)
    assert code == 2 and "model='mlp'" in err
    assert not (fresh / "analysis").exists()


def test_demo_extra_reports_neuron_counts(tiny_run: Path) -> None:
    from rulesfacts.analysis.neurons import class_counts, neuron_table
    from rulesfacts.cli.analyze import demo_neuron_counts
    from rulesfacts.cli.train import DEMO_EXTRAS
    from rulesfacts.training.rundir import load_run

    assert any(getattr(f, "__name__", "") == "_analysis_extra" for f in DEMO_EXTRAS)
    run = load_run(tiny_run)
    extra = demo_neuron_counts(tiny_run)
    assert extra["n_generalizing"] + extra["n_memorizing"] == run.config.width
    assert {k: extra[k] for k in ("n_generalizing", "n_memorizing")} == class_counts(
        neuron_table(run.weights(), run.config.p))
