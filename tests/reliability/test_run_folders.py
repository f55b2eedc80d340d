"""One writer per run folder: unique default names, a lock held while a run is written (a live
owner refused, a dead one's lock taken over), and no run or user file replaced without --overwrite."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rulesfacts.training import rundir
from tests.cli_helpers import run_cli

TINY = ["--p", "7", "--width", "8", "--epochs", "4", "--log-every", "2", "--n-snapshots", "2", "--device", "cpu",
        "--quiet"]

# A concurrent writer, as rulesfacts takes a folder: flock on DIR/rulesfacts.lock, its pid inside.
HOLDER = """
import fcntl, os, sys, time
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
fd = os.open(os.path.join(d, "rulesfacts.lock"), os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, f"{os.getpid()}\\n".encode())
print("locked", flush=True)
time.sleep(120)
"""


def hold_lock(folder: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_two_runs_started_in_the_same_second_get_two_folders(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(time, "strftime", lambda fmt, *a: "20260101-000000")  # both in one second
    folders = []
    for lr in ("0.01", "0.03"):
        code, out, _ = run_cli(["train", *TINY, "--lr", lr, "--json"], capsys)
        assert code == 0
        folders.append(Path(json.loads(out)["run_dir"]))
    assert folders == [Path("runs/modular-20260101-000000"), Path("runs/modular-20260101-000000-2")]
    assert [rundir.read_config(f).lr for f in folders] == [0.01, 0.03]
    assert all(json.loads((f / rundir.SUMMARY).read_text())["status"] == "completed" for f in folders)


def test_a_folder_written_by_a_live_process_is_refused(tmp_path, capsys):
    out_dir = tmp_path / "run"
    holder = hold_lock(out_dir)
    try:
        code, out, err = run_cli(["train", *TINY, "-o", out_dir], capsys)
    finally:
        holder.kill()
        holder.wait()
    assert code == 2 and out == ""
    assert err.startswith(f"error: cannot write to {out_dir}: another rulesfacts process (pid {holder.pid})")
    assert len(err.splitlines()) == 1
    assert sorted(p.name for p in out_dir.iterdir()) == [rundir.LOCK]  # nothing of ours written


def test_a_stale_lock_of_a_dead_process_is_taken_over_with_a_note(tmp_path, capsys):
    out_dir = tmp_path / "run"
    holder = hold_lock(out_dir)
    holder.send_signal(signal.SIGKILL)  # killed mid-run: the lock file stays, the kernel drops the flock
    holder.wait()
    assert (out_dir / rundir.LOCK).read_text().strip() == str(holder.pid)
    code, _, err = run_cli(["train", *TINY, "-o", out_dir], capsys)
    assert code == 0
    assert f"note: {out_dir}: took over a stale lock of process {holder.pid}" in err
    assert rundir.load_run(out_dir).summary["status"] == "completed"
    assert not (out_dir / rundir.LOCK).exists()  # released at the end


def test_the_lock_is_held_during_the_run_and_names_our_pid(tmp_path):
    from rulesfacts.config.train import TrainConfig
    from rulesfacts.training.callbacks import Callback
    from rulesfacts.training.trainer import train

    seen = []

    class Peek(Callback):
        def on_epoch_end(self, trainer):
            seen.append((tmp_path / rundir.LOCK).read_text().strip())

    train(TrainConfig(p=7, width=8, epochs=2, device="cpu"), tmp_path, progress=False, callbacks=[Peek()])
    assert seen == [str(os.getpid())] * 2 and not (tmp_path / rundir.LOCK).exists()


def test_a_finished_run_is_kept_unless_overwrite(tmp_path, capsys):
    out_dir = tmp_path / "run"
    assert run_cli(["train", *TINY, "--width", "16", "-o", out_dir], capsys)[0] == 0
    (out_dir / "analysis").mkdir()
    (out_dir / "analysis" / "neurons.csv").write_text("width 16\n")
    (out_dir / "report.html").write_text("<p>width 16</p>")
    before = {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}
    code, out, err = run_cli(["train", *TINY, "--width", "32", "-o", out_dir], capsys)
    assert code == 2 and "holds a completed run; pass --overwrite" in err and len(err.splitlines()) == 1
    assert {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()} == before
    code, _, _ = run_cli(["train", *TINY, "--width", "32", "-o", out_dir, "--overwrite"], capsys)
    assert code == 0 and rundir.read_config(out_dir).width == 32
    assert not (out_dir / "analysis").exists() and not (out_dir / "report.html").exists()
    assert rundir.load_run(out_dir).weights()["W_in"].shape[0] == 32


@pytest.mark.parametrize("flags", [[], ["--overwrite"], ["--resume"]])
def test_a_folder_of_other_files_is_never_replaced(tmp_path, capsys, flags):
    """A user's own metrics.csv, summary.json and weights.npz (no rulesfacts config.json): refused
    with one line whatever the flags, every byte kept."""
    out_dir = tmp_path / "mine"
    out_dir.mkdir()
    mine = {"metrics.csv": b"epoch,acc\n1,0.5\n", "summary.json": b'{"mine": true}', "weights.npz": b"PK..."}
    for name, data in mine.items():
        (out_dir / name).write_bytes(data)
    code, out, err = run_cli(["train", *TINY, "-o", out_dir, *flags], capsys)
    assert code == 2 and out == "" and "not a rulesfacts run" in err and len(err.splitlines()) == 1
    assert {p.name: p.read_bytes() for p in out_dir.iterdir()} == mine


def test_out_of_memory_is_one_line_and_leaves_no_folder(tmp_path, capsys, monkeypatch):
    """torch's CPU allocator failing while the model is built (what `ulimit -v 4000000; rulesfacts
    train --p 1000 --width 100000` gives): one line, exit 2, no empty run folder."""
    from rulesfacts.training import trainer

    def no_memory(*a, **k):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate "
                           "memory: you tried to allocate 800000000 bytes. Error code 12 (Cannot allocate memory)")

    monkeypatch.setattr(trainer, "build_model", no_memory)
    out_dir = tmp_path / "big"
    code, out, err = run_cli(["train", *TINY, "-o", out_dir], capsys)
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("error: out of memory on cpu (an allocation of 800000000 bytes failed); try a smaller width")
    assert not out_dir.exists()
    monkeypatch.chdir(tmp_path)
    code, _, _ = run_cli(["train", *TINY], capsys)  # the default folder too
    assert code == 2 and list((tmp_path / "runs").iterdir()) == []
