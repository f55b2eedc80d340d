"""Ctrl-C and SIGKILL against the real ``rulesfacts train`` process: Ctrl-C saves a resumable state
and exits 130 with one line; SIGKILL at random moments leaves a folder whose every file parses;
``--resume`` then finishes with exactly the numbers of an uninterrupted run."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rulesfacts import load_run
from rulesfacts.config.train import TrainConfig
from rulesfacts.training import rundir
from rulesfacts.training.trainer import train

from .conftest import wait_for

CFG = TrainConfig(p=11, width=16, epochs=40, log_every=2, n_snapshots=10, fact_frac=0.3, batch_size=24,
                  dropout=0.1, device="cpu")
FLAGS = ["--p", "11", "--width", "16", "--epochs", "40", "--log-every", "2", "--n-snapshots", "10",
         "--fact-frac", "0.3", "--batch-size", "24", "--dropout", "0.1", "--device", "cpu", "-q", "--json"]


def assert_valid_folder(run_dir: Path) -> None:
    """Every file the tool would read parses (the state a SIGKILL may leave)."""
    run = load_run(run_dir)
    assert run.config == CFG
    assert run.summary["status"] in ("running", "interrupted", "completed")
    assert run.metrics["epoch"].is_monotonic_increasing
    for e in run.snapshot_epochs():
        assert run.snapshot(e)["W_in"].shape == (16, 22)
    if (run_dir / rundir.CHECKPOINT).exists():
        assert rundir.load_checkpoint(run_dir)["config"] == CFG.to_dict()
    if (run_dir / rundir.WEIGHTS).exists():
        assert run.weights()["W_out"].shape == (11, 16)


def assert_same_as(reference, run_dir: Path, stdout: str) -> None:
    summary = json.loads(stdout)
    assert summary["status"] == "completed" and summary["epochs"] == CFG.epochs
    for k in ("train_acc", "test_acc", "clean_acc", "facts_memorized", "facts_recovered", "train_loss"):
        assert summary[k] == reference.summary[k], k
    run = load_run(run_dir)
    assert run.metrics.to_dict("list") == load_run(run_dir.parent / "ref").metrics.to_dict("list")
    for k, v in reference.weights.items():
        np.testing.assert_array_equal(run.weights()[k], v)


@pytest.mark.slow
def test_ctrl_c_saves_and_resume_matches_uninterrupted(tmp_path, slow_cli):
    reference = train(CFG, tmp_path / "ref", progress=False)
    run_dir = tmp_path / "run"
    proc = slow_cli(["train", "-o", str(run_dir), *FLAGS])
    wait_for(run_dir / rundir.CHECKPOINT, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("interrupted: training stopped at epoch ")
    assert "state saved in" in lines[0] and "--resume" in lines[0] and "Traceback" not in err
    assert out == ""
    assert_valid_folder(run_dir)
    summary = load_run(run_dir).summary
    assert summary["status"] == "interrupted" and 0 < summary["epochs"] < CFG.epochs

    resumed = subprocess.run([sys.executable, "-m", "rulesfacts.cli.main", "train", "--resume",
                              "-o", str(run_dir), "-q", "--json"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_as(reference, run_dir, resumed.stdout)


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume_matches(tmp_path, slow_cli):
    reference = train(CFG, tmp_path / "ref", progress=False)
    run_dir = tmp_path / "run"
    rng = random.Random(11)
    epochs_seen = []
    for i in range(3):
        args = ["train", "-o", str(run_dir), *FLAGS] + (["--resume"] if i else [])
        proc = slow_cli(args)
        wait_for(run_dir / rundir.SUMMARY, proc)  # started (or resumed) and writing
        time.sleep(rng.uniform(0.0, 0.8))
        proc.kill()
        proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        assert_valid_folder(run_dir)
        epochs_seen.append(load_run(run_dir).summary.get("epochs"))
    final = slow_cli(["train", "--resume", "-o", str(run_dir), *FLAGS], delay=0.0)
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err
    assert_same_as(reference, run_dir, out)
    assert not list(run_dir.glob(".*.tmp")) and not list((run_dir / "snapshots").glob(".*.tmp"))
