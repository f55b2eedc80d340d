"""Output faults: an output folder that cannot exist (its parent is a file; this fails for root
too, unlike chmod) is refused before any work, with nothing created; a disk that fills up during
training stops the run with one line, leaves no half-written or temporary file, and the run
resumes to the same numbers once there is room again. Also: other commands' bad input."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest

from rulesfacts import io, load_run
from rulesfacts.cli.main import main
from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import DivergedError
from rulesfacts.training import rundir, trainer
from rulesfacts.training.trainer import train


def run_cli(args, capsys):
    """(exit code, stdout, stderr) of ``rulesfacts ARGS`` run in this process (0 on success)."""
    try:
        main(args)
        code = 0
    except SystemExit as e:
        code = e.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip()


@pytest.mark.parametrize("command", [
    ["train", "--p", "7", "--width", "8", "--epochs", "2"],
    ["demo", "--epochs", "2"],
    ["sweep", "small"],
    ["memorize", "--all-pairs", "--methods", "m1"],
])
def test_output_under_a_file_is_refused_before_work(tmp_path, capsys, monkeypatch, command):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setattr(trainer.Trainer, "__init__", lambda *a, **k: pytest.fail("training started"))
    code, out, err = run_cli([*command, "-o", str(blocker / "out"), "-q", "--json"], capsys)
    assert code == 2 and out == ""
    assert err == f"error: cannot write to {blocker / 'out'}: Not a directory"
    assert [p.name for p in tmp_path.iterdir()] == ["file"] and blocker.read_text() == ""


CFG = TrainConfig(p=7, width=8, epochs=30, log_every=2, n_snapshots=10, fact_frac=0.2, device="cpu")
FLAGS = ["--p", "7", "--width", "8", "--epochs", "30", "--log-every", "2", "--n-snapshots", "10",
         "--fact-frac", "0.2", "--device", "cpu", "-q", "--json"]


@pytest.mark.parametrize("fail_at", [3, 11])
def test_disk_full_mid_training_then_resume(tmp_path, capsys, monkeypatch, fail_at):
    """The fail_at-th file replacement hits ENOSPC (before and after the first checkpoint)."""
    calls = {"n": 0}
    real_replace = os.replace

    def replace(src, dst):
        calls["n"] += 1
        if calls["n"] >= fail_at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_replace(src, dst)

    run_dir = tmp_path / "run"
    with monkeypatch.context() as m:
        m.setattr(io.os, "replace", replace)
        code, out, err = run_cli(["train", "-o", str(run_dir), *FLAGS], capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"error: cannot write to {run_dir}/") and err.endswith("No space left on device")
    leftovers = [p for p in run_dir.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    if (run_dir / rundir.SUMMARY).exists():  # whatever was written is whole
        run = load_run(run_dir)
        assert run.summary["status"] == "running"
        for e in run.snapshot_epochs():
            run.snapshot(e)
    code, out, err = run_cli(["train", "--resume", "-o", str(run_dir), *FLAGS], capsys)
    assert code == 0, err
    ref = train(CFG, tmp_path / "ref", progress=False)
    got = load_run(run_dir)
    assert got.summary["status"] == "completed"
    assert got.metrics.to_dict("records") == load_run(tmp_path / "ref").metrics.to_dict("records")
    np.testing.assert_array_equal(got.weights()["W_in"], ref.weights["W_in"])


def test_diverging_state_evolution_is_one_line(capsys, monkeypatch):
    import rulesfacts.theory as theory

    def diverge(*a, **k):
        raise DivergedError("state evolution did not converge\n(linear, square, alpha=2) after 400 iterations")
    monkeypatch.setattr(theory, "solve_point", diverge)
    code, out, err = run_cli(["theory", "--json"], capsys)
    assert code == 2 and out == ""
    assert err == "error: state evolution did not converge (linear, square, alpha=2) after 400 iterations"


@pytest.mark.parametrize(("args", "message"), [
    (["theory", "--alpha", "-1"], "alpha=-1.0 is not allowed"),
    (["theory", "--fact-frac", "2"], "fact_frac=2.0 is not allowed"),
    (["theory", "--learner", "svm"], "learner='svm' is not allowed"),
    (["sweep", "small", "--set", "lr=-1", "--dry-run"], "lr=-1"),
    (["sweep", "small", "--axis", "p=4,6", "--set", "op=div", "--dry-run"], "p=4 is not allowed"),
    (["sweep", "no-such-preset"], "no-such-preset"),
    (["memorize", "--dataset", "imagenet", "--pair", "0", "1"], "dataset='imagenet' is not allowed"),
    (["analytic", "--p", "1"], "p=1"),
])
def test_other_commands_reject_bad_input_in_one_line(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli([*args, "--json"], capsys)
    assert code == 2 and out == "", err
    assert err.startswith("error: ") and "\n" not in err and message in err, err
    assert list(tmp_path.iterdir()) == []
