"""Crash safety: SIGKILL or Ctrl-C a running `rulesfacts sweep`, rerun it, and the table ends with
exactly one row per grid point and the numbers of an uninterrupted sweep."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd

from rulesfacts.sweep import load_results, run_sweep
from rulesfacts.sweep.spec import spec_to_toml
from tests.cli_helpers import live_ctrl_c
from tests.sweep.conftest import comparable, tiny_spec

AXES = {"wd": [0, 5], "fact_frac": [0.0, 0.2, 0.4, 0.6]}  # 8 runs, one per group: rows land one by one


def rows(sweep_dir):
    try:
        with sqlite3.connect(sweep_dir / "results.sqlite") as conn:
            return conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    except sqlite3.Error:
        return 0


def start(spec_path, sweep_dir):
    cmd = [sys.executable, "-m", "rulesfacts.cli.main", "sweep", str(spec_path), "--out", str(sweep_dir),
           "--workers", "1", "--quiet", "--json"]
    with live_ctrl_c():
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})


def wait_for_rows(proc, sweep_dir, n, timeout=120):
    t = time.monotonic()
    while rows(sweep_dir) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t < timeout
        time.sleep(0.02)


def test_sigkill_then_ctrl_c_then_rerun_gives_the_uninterrupted_table(tmp_path):
    spec = tiny_spec(epochs=400, max_ensemble=1, **AXES)
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(spec_to_toml(spec))
    sweep_dir = tmp_path / "killed"

    proc = start(spec_path, sweep_dir)
    wait_for_rows(proc, sweep_dir, 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = rows(sweep_dir)
    assert 2 <= killed_at < 8

    proc = start(spec_path, sweep_dir)
    wait_for_rows(proc, sweep_dir, killed_at + 1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    interrupted_at = rows(sweep_dir)
    if interrupted_at < 8:  # the interrupt landed mid-sweep: a clean stop, no traceback
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "rerun the same command" in err

    final = run_sweep(spec_path, sweep_dir, progress=False)
    assert final["runs_trained"] == 8 - interrupted_at and final["runs_done"] == 8
    reference = run_sweep(spec, tmp_path / "clean", progress=False)
    assert reference["runs_trained"] == 8
    a, b = comparable(load_results(sweep_dir)), comparable(load_results(tmp_path / "clean"))
    assert a["run_id"].is_unique and len(a) == 8
    pd.testing.assert_frame_equal(a, b, check_exact=True)
