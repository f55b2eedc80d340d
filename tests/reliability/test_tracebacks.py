"""Faults that used to end in a traceback: each is one line now, at its root (a class of inputs).
File damage of every kind is in test_fuzz.py; run folders in test_run_folders.py."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import Note
from rulesfacts.training import rundir
from rulesfacts.training.trainer import train
from tests.cli_helpers import live_ctrl_c, run_cli

CFG = TrainConfig(p=7, width=8, epochs=6, log_every=2, n_snapshots=2, device="cpu")


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("runs") / "done"
    train(CFG, d, progress=False)
    return d


def test_ctrl_c_while_the_commands_are_imported_is_one_line(monkeypatch, capsys):
    """A Ctrl-C lands while `rulesfacts` imports a command module (torch's import, in practice)."""
    real = importlib.import_module

    def interrupted(name, *a, **k):
        if name == "rulesfacts.cli.train":
            raise KeyboardInterrupt
        return real(name, *a, **k)

    monkeypatch.setattr(importlib, "import_module", interrupted)
    code, out, err = run_cli(["train", "--help"], capsys)
    assert code == 130 and out == "" and err.strip() == "interrupted"


def test_start_up_imports_nothing_heavy_before_main_runs():
    """What Python imports before ``main`` can catch a Ctrl-C is the standard library and
    rulesfacts.errors only: no typer, NumPy, pandas or torch."""
    code = ("import sys, rulesfacts.cli.main; "
            "print(sorted({'typer', 'click', 'numpy', 'pandas', 'torch'} & set(sys.modules)))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "[]"


def loaded(pid: int, library: str) -> bool:
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("library", ["_multiarray_umath", "libtorch"])
def test_real_ctrl_c_while_numpy_or_torch_is_imported(tmp_path, library):
    """SIGINT to the real command the moment NumPy's or torch's shared library is mapped, i.e. in
    the middle of its import: one line, exit 130, no traceback."""
    with live_ctrl_c():
        proc = subprocess.Popen([sys.executable, "-m", "rulesfacts.cli.main", "train", "--epochs", "1", "--p", "5",
                                 "-o", str(tmp_path / "r"), "-q"], stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    end = time.monotonic() + 120
    while not loaded(proc.pid, library) and proc.poll() is None and time.monotonic() < end:
        time.sleep(0.001)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert proc.returncode == 130 and err.startswith("interrupted"), err
    assert not (tmp_path / "r").exists()


def test_snapshot_names_that_do_not_parse_are_skipped_with_a_note(finished, tmp_path, capsys):
    d = tmp_path / "run"
    shutil.copytree(finished, d)
    snaps = sorted((d / rundir.SNAPSHOTS).glob("epoch_*.npz"))
    shutil.copy(snaps[-1], d / rundir.SNAPSHOTS / f"{snaps[-1].stem} (copy).npz")
    shutil.copy(snaps[-1], d / rundir.SNAPSHOTS / "epoch_abc.npz")
    with pytest.warns(Note, match=r"\(copy\)\.npz: not a snapshot name"):
        epochs = rundir.load_run(d).snapshot_epochs()
    assert epochs == [int(s.stem.split("_")[1]) for s in snaps]
    code, _, err = run_cli(["report", d, "-o", tmp_path / "r.html", "-q"], capsys)
    assert code == 0 and err.count("note: ") >= 2 and "Traceback" not in err


def test_config_json_lacking_fields_says_what_is_assumed(finished, tmp_path, capsys):
    d = tmp_path / "run"
    shutil.copytree(finished, d)
    (d / rundir.CONFIG).write_text(json.dumps({"config": {"p": 7, "width": 8}}))
    with pytest.warns(Note, match="config.json: no value for task, .*; the defaults are assumed"):
        run = rundir.load_run(d)
    assert run.config == TrainConfig(p=7, width=8)
    (d / rundir.CONFIG).write_text(json.dumps({"config": {"p": 7}}))  # width 500 assumed: weights disagree
    code, _, err = run_cli(["report", d, "-o", tmp_path / "r.html", "-q"], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and lines[-1].startswith(f"error: {d / rundir.WEIGHTS}: W_in has shape (8, 14), not the (500, 14)")
    assert lines[:-1] and all(line.startswith("note: ") for line in lines[:-1])


@pytest.mark.parametrize(("flag", "value"), [("--alpha", "1e160"), ("--lam", "1e300"), ("--alpha", "1e-300"),
                                             ("--kappa", "1e300")])
def test_theory_parameters_outside_the_checked_ranges(flag, value, capsys):
    code, out, err = run_cli(["theory", flag, value, "--json"], capsys)
    assert code == 2 and out == "" and err.startswith(f"error: {flag[2:]}=") and len(err.splitlines()) == 1


def test_metrics_damage_is_refused_not_drawn(finished, tmp_path):
    """Duplicate epochs, a negative epoch, an accuracy of 1e308: refused by the one reader."""
    from rulesfacts.errors import DataFileError

    text = (finished / rundir.METRICS).read_text()
    header, *rows = text.splitlines()
    col = header.split(",").index("test_acc")
    cases = {
        "appears twice": [*rows, rows[-1]],
        "negative": [",".join(["-1", *rows[0].split(",")[1:]]), *rows[1:]],
        "test_acc=1e+308": [*rows[:-1], ",".join(c if i != col else "1e308"
                                                  for i, c in enumerate(rows[-1].split(",")))],
    }
    for problem, lines in cases.items():
        d = tmp_path / problem.replace(" ", "_")
        shutil.copytree(finished, d)
        (d / rundir.METRICS).write_text("\n".join([header, *lines]) + "\n")
        with pytest.raises(DataFileError, match=problem.replace("+", r"\+")):
            rundir.read_metrics(d)


@pytest.mark.slow
def test_a_killed_sweep_worker_is_one_line_and_the_sweep_resumes(tmp_path):
    """kill -9 of one pool worker (its pid is in the lock of the run folder it writes): the sweep
    stops with one line, exit 2; the same command then finishes every run."""
    from rulesfacts.sweep import load_results
    from rulesfacts.sweep.spec import parse_spec, spec_to_toml

    spec = tmp_path / "s.toml"
    spec.write_text(spec_to_toml(parse_spec({
        "name": "k", "base": {"p": 7, "width": 8, "epochs": 4000, "log_every": 100, "n_snapshots": 0, "device": "cpu"},
        "axes": {"wd": [0, 1, 2, 3]}, "execution": {"max_ensemble": 1, "workers": 2}})))
    cmd = [sys.executable, "-m", "rulesfacts.cli.main", "sweep", str(spec), "-o", str(tmp_path / "sw"), "-q"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    end = time.monotonic() + 180
    while not (locks := list((tmp_path / "sw" / "runs").glob(f"*/{rundir.LOCK}"))) and time.monotonic() < end:
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.02)
    pid = int(locks[0].read_text() or "0") if locks else 0
    while not pid and time.monotonic() < end:
        time.sleep(0.02)
        pid = int(locks[0].read_text() or "0")
    os.kill(pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1].startswith("error: a sweep worker process died"), err
    again = subprocess.run([*cmd, "--json"], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["runs_done"] == 4 and len(load_results(tmp_path / "sw")) == 4
    assert np.all(load_results(tmp_path / "sw")["status"] == "completed")


@pytest.mark.slow
def test_ctrl_c_to_the_sweeps_process_group_while_workers_import(tmp_path):
    """The workers start with SIGINT ignored: a Ctrl-C to the whole group while they import torch
    prints one line (the sweep's), never a worker's traceback; the rerun completes the table."""
    from rulesfacts.sweep import load_results
    from rulesfacts.sweep.spec import parse_spec, spec_to_toml

    spec = tmp_path / "s.toml"
    spec.write_text(spec_to_toml(parse_spec({
        "name": "i", "base": {"p": 7, "width": 8, "epochs": 50, "n_snapshots": 0, "device": "cpu"},
        "axes": {"wd": [0, 1, 2, 3]}, "execution": {"max_ensemble": 1, "workers": 2}})))
    cmd = [sys.executable, "-m", "rulesfacts.cli.main", "sweep", str(spec), "-o", str(tmp_path / "sw"), "-q"]
    with live_ctrl_c():
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, cwd=tmp_path, start_new_session=True)
    end = time.monotonic() + 180
    while not (tmp_path / "sw" / "spec.toml").exists() and time.monotonic() < end:  # written just before the pool
        time.sleep(0.01)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=180)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert proc.returncode == 130 and err.startswith("interrupted")
    again = subprocess.run([*cmd, "--json"], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert again.returncode == 0 and len(load_results(tmp_path / "sw")) == 4, again.stderr
