"""``rulesfacts train``: the --json contract and one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli

REQUIRED = {"train_acc", "test_acc", "clean_acc", "facts_memorized", "facts_recovered", "epochs", "seconds"}


def test_train_json_summary_and_run_folder(tmp_path, capsys):
    out_dir = tmp_path / "r"
    code, out, err = run_cli(["train", "--p", "11", "--width", "16", "--epochs", "20", "--fact-frac", "0.2",
                              "--out", str(out_dir), "--json", "--quiet"], capsys)
    assert code == 0
    summary = json.loads(out)  # exactly one JSON object on stdout
    assert REQUIRED <= summary.keys() and summary["epochs"] == 20
    for name in ("config.json", "metrics.csv", "summary.json", "weights.npz", "curves.png"):
        assert (out_dir / name).is_file()


@pytest.mark.parametrize("args, field", [
    (["--lr", "-1"], "lr"),
    (["--fact-frac", "1.0"], "fact_frac"),
    (["--op", "div", "--p", "12"], "p"),
    (["--train-frac", "0.0001", "--p", "5"], "train_frac"),
    (["--act", "tanh"], "act"),
    (["--width", "0"], "width"),
    (["--lr", "abc"], "--lr"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, args, field):
    out_dir = tmp_path / "never"
    code, out, err = run_cli(["train", "--out", str(out_dir), "--json", *args], capsys)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and field in lines[0]
    assert not out_dir.exists()


def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run_cli(["train", "--out", str(blocker / "run"), "--epochs", "1", "--p", "5"], capsys)
    assert code == 2 and err.startswith("error: cannot write to")


@pytest.mark.parametrize("cmd", [[], ["train"], ["demo"]])
def test_help(cmd):
    res = subprocess.run([sys.executable, "-m", "rulesfacts.cli.main", *cmd, "--help"], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0 and "Usage" in res.stdout and "Traceback" not in res.stderr


def test_a_second_demo_goes_to_a_new_folder_and_keeps_the_first(tmp_path, capsys, monkeypatch):
    import rulesfacts.cli.train as train_cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(train_cli, "DEMO_EXTRAS", ())  # the folders are the point here, not the analysis
    code, out, _ = run_cli(["demo", "--epochs", "2", "--quiet", "--json"], capsys)
    assert code == 0
    first = (tmp_path / "runs" / "demo" / "summary.json").read_bytes()
    code, out, err = run_cli(["demo", "--epochs", "2", "--quiet", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["run_dir"] == str(Path("runs") / "demo-2")
    assert (tmp_path / "runs" / "demo" / "summary.json").read_bytes() == first
