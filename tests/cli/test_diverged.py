"""A diverged run (``--lr 1e8``) is reported as diverged by every command, never analysed as a
network, and every JSON it leaves is valid (no NaN / Infinity literals)."""

import json
import warnings

import pytest

from rulesfacts.io import to_json
from tests.cli_helpers import run_cli


def _strict(text):
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON literal {c}"))


@pytest.fixture(scope="module")
def diverged(tmp_path_factory):
    from rulesfacts.config.train import TrainConfig
    from rulesfacts.training.trainer import train

    out = tmp_path_factory.mktemp("dv") / "run"
    train(TrainConfig(p=11, width=16, epochs=30, lr=1e8, device="cpu"), out, progress=False)
    return out


def test_train_reports_diverged(tmp_path, capsys):
    code, out, err = run_cli(["train", "--p", "11", "--width", "16", "--epochs", "30", "--lr", "1e8", "--quiet",
                              "--out", tmp_path / "r", "--json"], capsys)
    summary = _strict(out)
    assert code == 0 and summary["status"] == "diverged" and summary["phase"] == "diverged"
    assert summary["test_acc"] is None and "diverged at epoch" in summary["verdict"]
    _strict((tmp_path / "r" / "summary.json").read_text())


@pytest.mark.parametrize("cmd", ["analyze", "report"])
def test_analyze_and_report_refuse_a_diverged_run(diverged, cmd, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy "All-NaN slice" warnings on the way
        code, out, err = run_cli([cmd, diverged, "--json"], capsys)
    assert code == 2 and out == ""
    assert err.strip().startswith("error:") and "diverged at epoch" in err and len(err.strip().splitlines()) == 1
    assert not (diverged / "analysis").exists() and not (diverged / "report.html").exists()


def test_json_never_holds_nan_or_infinity():
    import numpy as np

    text = to_json({"a": float("nan"), "b": [np.float32("inf"), 1.5], "c": np.array([np.nan, 2.0]), "d": -np.inf})
    assert _strict(text) == {"a": None, "b": [None, 1.5], "c": [None, 2.0], "d": None}


def test_analyze_of_an_interrupted_run_suggests_resume(tmp_path, capsys):
    from rulesfacts.config.train import TrainConfig
    from rulesfacts.training.callbacks import StopAt
    from rulesfacts.training.trainer import train

    with pytest.raises(KeyboardInterrupt):
        train(TrainConfig(p=11, width=16, epochs=20, device="cpu"), tmp_path / "r", progress=False,
              callbacks=[StopAt(4)])
    code, out, err = run_cli(["analyze", tmp_path / "r", "--json"], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "stopped at epoch 4 of 20" in err and f"rulesfacts train --resume --out {tmp_path / 'r'}" in err
