"""The run-folder writer: checkpoints, snapshots, resume and the final files of each member.

Every file is written atomically (``rulesfacts.io``), in an order that keeps a folder valid at any
instant: data first, checkpoint next, summary last. A SIGKILL in between leaves files that are
each whole; resume recomputes whatever is ahead of the checkpoint. Besides the snapshot epochs a
checkpoint is saved at least every ``checkpoint_seconds``, so a SIGKILL loses at most about that
much work (a save costs milliseconds at the paper's sizes).

One process writes a folder at a time: ``claim_folders`` takes its lock (``rulesfacts.lock``, an
``flock`` the kernel drops when its owner dies, so a lock left by a killed run is stale and taken
over with a note) and refuses a folder that holds files of something else, or a run, unless told
to resume or overwrite it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rulesfacts.config.train import HOW_FIELDS, TrainConfig
from rulesfacts.errors import DataFileError, Note, OutputError
from rulesfacts.io import ensure_writable_dir, read_json
from rulesfacts.training import rundir
from rulesfacts.training.callbacks import Callback
from rulesfacts.training.result import RunResult

if TYPE_CHECKING:
    from rulesfacts.training.trainer import Trainer

CHECKPOINT_SECONDS = 60.0


def config_diff(saved: dict[str, Any], current: dict[str, Any]) -> tuple[str, Any, Any] | None:
    """The first field (other than free-form ``extra`` and the ``HOW_FIELDS``) on which two config
    dicts differ, as (name, saved value, current value)."""
    for name in sorted((set(saved) | set(current)) - HOW_FIELDS - {"extra"}):
        if saved.get(name) != current.get(name):
            return name, saved.get(name), current.get(name)
    return None


def completed_runs(dirs: list[Path], cfgs: list[TrainConfig]) -> list[RunResult] | None:
    """The folders' results when every one holds a completed run of its config (no checkpoint
    left, weights written), else None. A finished run of another config is an error."""
    results = []
    for d, cfg in zip(dirs, cfgs, strict=True):
        summary_path = d / rundir.SUMMARY
        if (d / rundir.CHECKPOINT).exists() or not (d / rundir.WEIGHTS).is_file() or not summary_path.is_file():
            return None
        summary = rundir.read_summary(d)
        if summary.get("status") not in ("completed", "diverged"):
            return None
        if diff := config_diff(rundir.read_config(d).to_dict(), cfg.to_dict()):
            raise DataFileError(d / rundir.CONFIG, f"the finished run has {diff[0]}={diff[1]!r}, this one "
                                f"{diff[0]}={diff[2]!r}; drop --resume to start over")
        metrics = rundir.read_metrics(d)
        rows = [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
                for r in metrics.astype(object).to_dict("records")]
        results.append(RunResult(cfg, summary, rows, rundir.read_weights(d / rundir.WEIGHTS, cfg), d))
    return results


def misfit(trainer: Trainer, i: int, state: dict[str, Any]) -> str | None:
    """How a checkpoint's tensors differ from member ``i``'s parameters and optimizer moments
    (names, shapes), or None when they fit."""
    want = {k: tuple(v.shape[1:]) for k, v in trainer.model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state["params"].items()}
    for k in sorted(want.keys() | got.keys()):
        if want.get(k) != got.get(k):
            return f"parameter {k}: {got.get(k) or 'missing'} saved, the model has {want.get(k) or 'none'}"
    mine = trainer.opt.member_state(i)
    for k in ("exp_avg", "exp_avg_sq"):
        if [tuple(t.shape) for t in mine[k]] != [tuple(t.shape) for t in state["opt"][k]]:
            return f"optimizer {k} has other shapes than the model's parameters"
    return None


class RunFolderWriter(Callback):
    """Writes one run folder per ensemble member. With ``resume``, first restores the trainer
    bit-exactly from the folders' checkpoints; otherwise (or with nothing to resume) clears what an
    earlier run left there. ``keep_state``: keep the last state (``final_state.pt``, about 3× the
    weights) that ``train --continue`` / ``--from`` start from."""

    def __init__(self, dirs: list[Path], resume: bool = False, checkpoint_seconds: float = CHECKPOINT_SECONDS,
                 keep_state: bool = True):
        self.dirs, self.resume, self.checkpoint_seconds = dirs, resume, checkpoint_seconds
        self.keep_state = keep_state
        self.last_save = time.perf_counter()

    def on_start(self, trainer: Trainer) -> None:
        if len(self.dirs) != len(trainer.cfgs):
            raise ValueError("one run folder per config")
        restored = self.resume and self.restore(trainer)
        for d, c in zip(self.dirs, trainer.cfgs, strict=True):
            rundir.remove_temp_files(d)
            if not restored:
                rundir.clear_run_files(d)
            rundir.write_config(d, c)
        self.last_save = time.perf_counter()

    def restore(self, trainer: Trainer) -> bool:
        """Load the folders' checkpoints into ``trainer``; False when there is nothing consistent to
        resume from (no checkpoint, or members saved at different epochs): start over then.

        A checkpoint written for another config is an error rather than a silent restart, since
        restarting would overwrite the work the user asked to continue."""
        states = [rundir.load_checkpoint(d) for d in self.dirs]
        for d, st, c in zip(self.dirs, states, trainer.cfgs, strict=True):
            if st is not None and (diff := config_diff(st["config"], c.to_dict())):
                name, old, new = diff
                raise DataFileError(d / rundir.CHECKPOINT,
                                    f"saved for {name}={old!r}, but this run has {name}={new!r}; resume with "
                                    "the run's own settings, or drop --resume to start over")
        if any(st is None for st in states) or len({st["epoch"] for st in states}) != 1:
            return False
        for i, (d, st) in enumerate(zip(self.dirs, states, strict=True)):
            if problem := misfit(trainer, i, st):
                raise DataFileError(d / rundir.CHECKPOINT, f"does not fit this run ({problem}); delete it to "
                                    "start over")
        try:
            trainer.load_states(states)
        except (RuntimeError, ValueError, TypeError, KeyError, IndexError) as e:  # e.g. an RNG state torch refuses
            raise DataFileError(self.dirs[0] / rundir.CHECKPOINT, f"cannot be restored ({e.__class__.__name__}: "
                                f"{e}); delete it to start over") from None
        return True

    def on_log(self, trainer: Trainer, epoch: int) -> None:
        if epoch in trainer.snapshot_epochs:
            self.save(trainer, "running", snapshot=True)

    def on_epoch_end(self, trainer: Trainer) -> None:
        if trainer.epoch < trainer.cfg.epochs and time.perf_counter() - self.last_save > self.checkpoint_seconds:
            self.save(trainer, "running")  # bound the work a SIGKILL can lose

    def on_stop(self, trainer: Trainer) -> str:
        self.save(trainer, "interrupted")
        return f"; state saved in {self.dirs[0]}{' and others' if len(self.dirs) > 1 else ''}"

    def save(self, trainer: Trainer, status: str, snapshot: bool = False) -> None:
        """Write every member's folder so that it is valid and resumable at this epoch."""
        for i, d in enumerate(self.dirs):
            if snapshot and trainer.diverged[i] is None:  # no NaN weights among the snapshots
                rundir.write_weights(rundir.snapshot_path(d, trainer.epoch), trainer.model.member_weights(i),
                                     np.float16)
            rundir.write_metrics(d, trainer.rows[i])
            rundir.save_checkpoint(d, trainer.state(i))
            rundir.write_summary(d, trainer.summary(i, status))
        self.last_save = time.perf_counter()

    def on_end(self, trainer: Trainer, results: list[RunResult]) -> None:
        for i, (d, r) in enumerate(zip(self.dirs, results, strict=True)):
            rundir.write_metrics(d, r.metrics)
            rundir.write_weights(d / rundir.WEIGHTS, r.weights)
            if self.keep_state:
                rundir.save_final_state(d, trainer.state(i))  # for --continue / --from
            rundir.write_summary(d, r.summary)
            (d / rundir.CHECKPOINT).unlink(missing_ok=True)
            r.run_dir = d


# -- one writer per folder --------------------------------------------------------------------------
def new_run_folder(parent: Path, stem: str) -> Path:
    """Create and return a folder ``parent/stem`` that did not exist: ``stem-2``, ``stem-3``, ...
    when taken (``mkdir`` is atomic, so two runs started in the same second get two folders)."""
    parent = ensure_writable_dir(Path(parent))
    for k in range(1, 10_000):
        path = parent / (stem if k == 1 else f"{stem}-{k}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        except OSError as e:
            raise OutputError(path, e.strerror or str(e)) from None
        return path
    raise OutputError(parent / stem, "no free folder name (10,000 taken)")


def _contents(d: Path) -> list[Path]:
    """What a folder holds, without our lock and the temp files of an interrupted write."""
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.name != rundir.LOCK
                  and not (p.name.startswith(".") and (p.name.endswith(".tmp") or ".write-probe." in p.name)))


def _is_run_config(path: Path) -> bool:
    try:
        data = read_json(path)
    except DataFileError:
        return False
    return isinstance(data, dict) and isinstance(data.get("config"), dict)


def check_folder(d: Path, resume: bool, overwrite: bool) -> None:
    """Refuse to write where it would destroy something: a folder with files that are not a
    rulesfacts run (a user's own metrics.csv or weights.npz), always; a folder holding a run,
    unless ``resume`` (continue it) or ``overwrite`` (remove all of its files first, analysis/ and
    report.html included, so nothing of the old run stays beside the new one)."""
    contents = _contents(d)
    if not contents or [p.name for p in contents] == [rundir.CONFIG]:
        return
    if not _is_run_config(d / rundir.CONFIG):
        names = ", ".join(p.name for p in contents[:3]) + (", ..." if len(contents) > 3 else "")
        raise OutputError(d, f"it holds files that are not a rulesfacts run ({names}); choose a new or empty "
                          "folder (nothing was written)")
    if resume:
        return
    if not overwrite:
        status = None
        with contextlib.suppress(DataFileError):
            status = rundir.read_summary(d).get("status") if (d / rundir.SUMMARY).is_file() else None
        what = f"a {status} run" if status else "a run"
        raise OutputError(d, f"it holds {what}; pass --overwrite to replace it (its files are removed first), "
                          "--resume to continue it, or choose another folder")
    for p in contents:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


def lock_folder(d: Path) -> int:
    """Take the folder's lock and write our pid in it; returns the lock's file descriptor. A lock
    held by a live process is an ``OutputError`` naming it; one left by a dead process (the kernel
    released its flock) is taken over with a note."""
    path = d / rundir.LOCK
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise OutputError(path, e.strerror or str(e)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _lock_owner(fd)
            os.close(fd)
            raise OutputError(d, f"another rulesfacts process (pid {owner or 'unknown'}) is writing this run "
                              "folder; wait for it to finish or stop it") from None
        try:  # the file we locked may have been unlinked by its owner's release meanwhile: lock the new one
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            continue
        if (owner := _lock_owner(fd)) not in ("", str(os.getpid())):
            warnings.warn(f"{d}: took over a stale lock of process {owner} (no longer running)", Note, stacklevel=2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return fd


def _lock_owner(fd: int) -> str:
    return os.pread(fd, 64, 0).decode(errors="replace").strip()


def unlock_folder(d: Path, fd: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        (d / rundir.LOCK).unlink()
    os.close(fd)


@contextlib.contextmanager
def claim_folders(dirs: list[Path], resume: bool = False, overwrite: bool = False) -> Iterator[None]:
    """Make, lock and check every run folder (``check_folder``) for the length of a run. A folder
    left with nothing to resume (a run that failed before its first checkpoint: out of memory, a
    bad config) is removed again, so no empty folder stays behind."""
    locks: list[tuple[Path, int]] = []
    try:
        for d in dirs:
            d = ensure_writable_dir(d)
            locks.append((d, lock_folder(d)))
            check_folder(d, resume, overwrite)
        yield
    except BaseException:
        for d, _ in locks:
            if [p.name for p in _contents(d)] in ([], [rundir.CONFIG]) and _is_run_config(d / rundir.CONFIG):
                (d / rundir.CONFIG).unlink()
        raise
    finally:
        for d, fd in locks:
            unlock_folder(d, fd)
            if not any(d.iterdir()):
                with contextlib.suppress(OSError):
                    d.rmdir()
