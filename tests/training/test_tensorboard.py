"""TensorBoard export: the event files hold exactly the logged metrics, read back with
TensorBoard's own event reader."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from rulesfacts import TrainConfig, train, train_ensemble
from rulesfacts.errors import ConfigError
from rulesfacts.training.callbacks import TensorBoardLogger
from tests.cli_helpers import run_cli

pytest.importorskip("tensorboard")


def scalars(folder) -> dict[str, list[tuple[int, float]]]:
    """Every scalar series of the event files in ``folder``, by tag: [(step, value), ...]."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(folder))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def expected(rows: list[dict]) -> dict[str, list[tuple[int, float]]]:
    """The logged rows as TensorBoard stores them (float32 values, step = epoch)."""
    keys = [k for k in rows[0] if k != "epoch"]
    return {k: [(r["epoch"], float(np.float32(r[k]))) for r in rows] for k in keys}


def test_one_run_writes_every_logged_metric(tmp_path):
    cfg = TrainConfig(p=11, width=16, epochs=30, log_every=10, fact_frac=0.2, device="cpu")
    result = train(cfg, progress=False, callbacks=[TensorBoardLogger(tmp_path / "tb")])
    got = scalars(tmp_path / "tb")
    assert got == expected(result.metrics)
    assert {"test_acc", "facts_memorized", "facts_recovered", "train_loss"} <= set(got)
    assert [s for s, _ in got["test_acc"]] == [r["epoch"] for r in result.metrics]


def test_an_ensemble_gets_one_folder_per_member(tmp_path):
    base = TrainConfig(p=11, width=16, epochs=20, log_every=10, fact_frac=0.2, device="cpu")
    results = train_ensemble([base.replace(wd=w) for w in (0.0, 5.0)], progress=False,
                             callbacks=[TensorBoardLogger(tmp_path / "tb")])
    for i, result in enumerate(results):
        assert scalars(tmp_path / "tb" / f"member_{i}") == expected(result.metrics)
    with pytest.raises(ConfigError, match="one name per member"):
        train_ensemble([base, base.replace(seed=1)], progress=False,
                       callbacks=[TensorBoardLogger(tmp_path / "x", names=["only-one"])])


def test_without_the_package_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    find = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else find(name, *a))
    with pytest.raises(ConfigError, match=r"pip install 'rulesfacts\[tensorboard\]'"):
        TensorBoardLogger(tmp_path / "tb")


def test_train_command_flag(tmp_path, capsys):
    code, out, err = run_cli(["train", "--p", "11", "--width", "16", "--epochs", "20", "--log-every", "5",
                              "--device", "cpu", "--out", tmp_path / "run", "--tensorboard", tmp_path / "tb", "--json",
                              "-q"], capsys)
    assert code == 0, err
    summary = json.loads(out)
    got = scalars(tmp_path / "tb")
    from rulesfacts import load_run

    logged = load_run(tmp_path / "run").metrics
    assert [s for s, _ in got["test_acc"]] == logged["epoch"].tolist() and logged["epoch"].iloc[-1] == 20
    assert [v for _, v in got["test_acc"]] == pytest.approx(logged["test_acc"].tolist(), abs=1e-6)
    assert got["test_acc"][-1][1] == pytest.approx(summary["test_acc"], abs=1e-6)
