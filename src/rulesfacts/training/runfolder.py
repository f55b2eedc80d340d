"""The run-folder writer: checkpoints, snapshots, resume and the final files of each member.

Every file is written atomically (``rulesfacts.io``), in an order that keeps a folder valid at any
instant: data first, checkpoint next, summary last. A SIGKILL in between leaves files that are
each whole; resume recomputes whatever is ahead of the checkpoint. Besides the snapshot epochs a
checkpoint is saved at least every ``checkpoint_seconds``, so a SIGKILL loses at most about that
much work (a save costs milliseconds at the paper's sizes).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rulesfacts.config.train import HOW_FIELDS, TrainConfig
from rulesfacts.errors import DataFileError
from rulesfacts.io import read_json
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
        summary = read_json(summary_path)
        if not isinstance(summary, dict) or summary.get("status") not in ("completed", "diverged"):
            return None
        if diff := config_diff(rundir.read_config(d).to_dict(), cfg.to_dict()):
            raise DataFileError(d / rundir.CONFIG, f"the finished run has {diff[0]}={diff[1]!r}, this one "
                                f"{diff[0]}={diff[2]!r}; drop --resume to start over")
        metrics = rundir.read_metrics(d)
        rows = [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
                for r in metrics.astype(object).to_dict("records")]
        results.append(RunResult(cfg, summary, rows, rundir.load_npz(d / rundir.WEIGHTS), d))
    return results


class RunFolderWriter(Callback):
    """Writes one run folder per ensemble member. With ``resume``, first restores the trainer
    bit-exactly from the folders' checkpoints; otherwise (or with nothing to resume) clears what an
    earlier run left there."""

    def __init__(self, dirs: list[Path], resume: bool = False, checkpoint_seconds: float = CHECKPOINT_SECONDS):
        self.dirs, self.resume, self.checkpoint_seconds = dirs, resume, checkpoint_seconds
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
        trainer.load_states(states)
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
            rundir.save_final_state(d, trainer.state(i))  # for --continue / --from
            rundir.write_summary(d, r.summary)
            (d / rundir.CHECKPOINT).unlink(missing_ok=True)
            r.run_dir = d
