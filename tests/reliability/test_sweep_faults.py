"""kill -9 a running ``rulesfacts sweep`` several times at random moments, rerun it, and the table
equals an uninterrupted sweep's (timing columns aside); after every kill the table and every run
folder it points to parse. A grid point that diverges is marked, with no accuracy, and the sweep
goes on. (tests/sweep/test_resume.py has the single-kill version.)"""

from __future__ import annotations

import math
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from rulesfacts import load_run
from rulesfacts.sweep import load_results, run_sweep
from rulesfacts.sweep.spec import spec_to_toml
from tests.sweep.conftest import comparable, tiny_spec

# init_scale = 1e6 overflows float32 at once (logits ~ 1e19, squared in the loss); the rest train
AXES = {"init_scale": [0.15, 1e6], "fact_frac": [0.0, 0.2, 0.4, 0.6]}
ACCURACIES = ("train_acc", "test_acc", "clean_acc", "facts_memorized", "facts_recovered")


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (the sweep's pool workers)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def assert_valid_sweep(sweep_dir: Path) -> pd.DataFrame:
    """The table parses, has one row per run id, and every row's run folder parses."""
    if not (sweep_dir / "results.sqlite").exists():
        return pd.DataFrame()
    table = load_results(sweep_dir)
    assert table["run_id"].is_unique
    for _, row in table.iterrows():
        run = load_run(sweep_dir / row["run_dir"])
        assert run.summary["status"] == row["status"]
        for k in ACCURACIES:
            value = row[k]
            if row["status"] == "diverged":
                assert value is None or (isinstance(value, float) and math.isnan(value)), (k, value)
            elif value is not None and not (isinstance(value, float) and math.isnan(value)):
                assert 0 <= value <= 1
    return table


@pytest.mark.slow
def test_repeated_kill_9_then_rerun_gives_the_uninterrupted_table(tmp_path):
    spec = tiny_spec(epochs=150, max_ensemble=2, **AXES)
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(spec_to_toml(spec))
    sweep_dir = tmp_path / "killed"
    rng = random.Random(2026)
    cmd = [sys.executable, "-m", "rulesfacts.cli.main", "sweep", str(spec_path), "--out", str(sweep_dir),
           "--workers", "2", "--quiet", "--json"]
    for _ in range(3):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 120
        while not (sweep_dir / "spec.toml").exists() and proc.poll() is None and time.monotonic() < end:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 2.0))
        workers = children(proc.pid)
        proc.kill()
        proc.wait(timeout=60)
        deadline = time.monotonic() + 30
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        orphans = [w for w in workers if alive(w)]
        for w in orphans:  # do not leave them running whatever the assertion says
            os.kill(w, signal.SIGKILL)
        assert not orphans, "pool workers outlived the killed sweep"
        assert_valid_sweep(sweep_dir)

    final = run_sweep(spec_path, sweep_dir, progress=False, workers=1)
    assert final["runs_done"] == 8
    assert run_sweep(spec, tmp_path / "clean", progress=False, workers=1)["runs_trained"] == 8
    a, b = comparable(assert_valid_sweep(sweep_dir)), comparable(assert_valid_sweep(tmp_path / "clean"))
    assert len(a) == 8
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert (a["status"] == "diverged").sum() == 4 and (a["status"] == "completed").sum() == 4
    assert a.loc[a["status"] == "diverged", "diverged_epoch"].notna().all()
