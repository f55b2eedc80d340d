"""Continue a finished run, or branch a new run from a saved state of another.

A finished run folder keeps its last state (``final_state.pt``: parameters, AdamW moments and
step count, both RNG streams, the logged rows), so

- ``continue_run(RUN, epochs)`` trains the same run on to ``epochs`` in total, in its own folder.
  Nothing in a step depends on the planned length (no schedule), so the result equals, bit for
  bit, a run of ``epochs`` trained at once: the same weights and the same metrics rows (a row
  logged at the old last epoch is dropped when the longer run's ``log_every`` grid skips it).
  The snapshots already saved stay; the longer run adds its own after the old last epoch.
- ``branch_run(RUN, epoch, changes, NEW)`` starts a new run folder from the state of RUN at
  ``epoch`` with some fields changed (``wd=5``), and records where it came from in
  ``parent.json``. From the last epoch (or an interrupted run's checkpoint) the optimizer state
  and RNG streams carry over; from an earlier epoch only the float16 weight snapshot exists, so the
  AdamW moments restart at zero and the RNG streams from the child's seed (``parent.json`` says
  which). The child's epochs count on from ``epoch``, and its metrics start with the parent's rows
  up to there.

Both work by writing a checkpoint that ``train(..., resume=True)`` then continues, so an
interrupted continuation resumes like any run.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from rulesfacts.config.train import HOW_FIELDS, TrainConfig
from rulesfacts.errors import ConfigError, DataFileError, OutputError
from rulesfacts.io import write_json
from rulesfacts.training import rundir
from rulesfacts.training.result import RunResult
from rulesfacts.training.runfolder import claim_folders, new_run_folder
from rulesfacts.training.trainer import Trainer, log_epochs, train

# Fields a branch may not change: they fix the parameters' shapes or what the inputs mean.
FIXED_IN_BRANCH = ("task", "p", "n_bits", "model", "width", "bias", "batchnorm", "d_model", "n_heads")
# Fields a continuation may change besides ``epochs``: how it is computed, and the bookkeeping
# that does not touch a step.
FREE_IN_CONTINUE = HOW_FIELDS | {"epochs", "device", "extra"}


def parse_source(text: str) -> tuple[Path, int | None]:
    """``RUN`` or ``RUN@EPOCH`` (a folder, and optionally the epoch to branch from)."""
    path, at, epoch = str(text).rpartition("@") if "@" in str(text) else ("", "", str(text))
    if not at:
        return Path(epoch), None
    try:
        value = int(epoch)
    except ValueError:
        raise ConfigError("from", text, "RUN or RUN@EPOCH with an integer epoch, e.g. runs/a@2000") from None
    if value < 0:
        raise ConfigError("from", text, "an epoch ≥ 0")
    return Path(path), value


def _finished(run: rundir.Run, verb: str) -> None:
    if run.diverged:
        raise DataFileError(run.path / rundir.SUMMARY, f"the run diverged at epoch {run.summary.get('diverged_epoch')}"
                            f"; there is no finite state to {verb}")


def continue_config(run_dir: Path, epochs: int | None, given: dict[str, Any]) -> TrainConfig:
    """The config of RUN with ``epochs`` (and only how-to fields) changed; other changes are
    what a branch is for."""
    cfg = rundir.read_config(run_dir)
    if epochs is None:
        raise ConfigError("epochs", None, "the total epochs to continue to (--continue needs --epochs)")
    for name, value in given.items():
        if name not in FREE_IN_CONTINUE and value != getattr(cfg, name):
            raise ConfigError(name, value, f"the run's own {getattr(cfg, name)!r} (--continue extends a run; to "
                              "change a setting, branch a new run with --from RUN)")
    return TrainConfig(**(cfg.to_dict() | given | {"epochs": epochs}))


def continue_run(run_dir: Path | str, cfg: TrainConfig, *, progress: bool = True) -> RunResult:
    """Train the finished run in ``run_dir`` on to ``cfg.epochs`` (``cfg``: ``continue_config``)."""
    run_dir = Path(run_dir)
    run = rundir.load_run(run_dir)
    _finished(run, "continue")
    if (run_dir / rundir.CHECKPOINT).is_file():
        raise DataFileError(run_dir / rundir.CHECKPOINT, "the run is unfinished; finish it first with "
                            f"`rulesfacts train --resume --out {run_dir}`")
    state = rundir.load_checkpoint(run_dir, rundir.FINAL_STATE)
    if state is None:
        raise DataFileError(run_dir / rundir.FINAL_STATE, "file not found: the run kept no final state to continue "
                            "from (runs save one since version 0.2); branch it with --from, which restarts AdamW")
    done = int(state["epoch"])
    if cfg.epochs <= done:
        raise ConfigError("epochs", cfg.epochs, f"more than the {done} epochs the run has trained")
    keep = set(log_epochs(cfg))
    state |= {"config": cfg.to_dict(), "rows": [r for r in state["rows"] if r["epoch"] in keep]}
    rundir.save_checkpoint(run_dir, state)  # first: from here on the folder resumes as an unfinished run
    rundir.write_summary(run_dir, run.summary | {"status": "running"})
    return train(cfg, run_dir, progress=progress, resume=True)


def branch_config(parent: Path, given: dict[str, Any]) -> TrainConfig:
    """The parent's config with the fields ``given`` changed (shapes must stay)."""
    cfg = rundir.read_config(parent)
    for name in FIXED_IN_BRANCH:
        if name in given and given[name] != getattr(cfg, name):
            raise ConfigError(name, given[name], f"the parent's {getattr(cfg, name)!r} (a branch keeps the "
                              "network's shape; start a new run instead)")
    return TrainConfig(**(cfg.to_dict() | given))


def branch_state(parent: Path, epoch: int | None, cfg: TrainConfig) -> tuple[dict[str, Any], int, str]:
    """The state a branch starts from, its epoch, and where it came from (``final_state``,
    ``checkpoint`` or ``snapshot``)."""
    run = rundir.load_run(parent)
    _finished(run, "branch from")
    for source in (rundir.FINAL_STATE, rundir.CHECKPOINT):
        state = rundir.load_checkpoint(parent, source)
        if state is not None and (epoch is None or epoch == state["epoch"]):
            return state, int(state["epoch"]), source.removesuffix(".pt")
    if epoch is None:
        raise DataFileError(parent / rundir.FINAL_STATE, "file not found: the run kept no final state; name a "
                            f"snapshot epoch (RUN@EPOCH), one of {run.snapshot_epochs()}")
    if epoch not in run.snapshot_epochs():
        raise ConfigError("from", f"{parent}@{epoch}", f"a saved epoch of the run: one of {run.snapshot_epochs()} "
                          "(weight snapshots) or its last")
    trainer = Trainer([cfg])  # a fresh state for the child: AdamW moments zero, RNG from its seed
    trainer.model.load_member_weights(0, run.snapshot(epoch))
    state = trainer.state(0)
    state["rows"] = [{k: None if np.isnan(v) else int(v) if k == "epoch" else float(v) for k, v in r.items()}
                     for r in run.metrics.to_dict("records")]
    return state, epoch, "snapshot"


def branch_run(parent: Path | str, epoch: int | None, cfg: TrainConfig, out: Path | str | None = None, *,
               progress: bool = True) -> RunResult:
    """A new run in ``out`` that starts from ``parent``'s state at ``epoch`` (None: its last) and
    trains with ``cfg`` (``branch_config``) to ``cfg.epochs`` in total. ``out`` None: a new folder
    beside the parent, ``<parent>-from[-<epoch>]`` (then ``-2``, ``-3`` ...: made atomically, so two
    branches started together get two folders). The folder is ``RunResult.run_dir``."""
    parent = Path(parent)
    if out is not None and Path(out).exists() and (not Path(out).is_dir() or any(Path(out).iterdir())):
        raise OutputError(out, "it is not a new or empty folder; a branch goes to a new folder")
    state, at, source = branch_state(parent, epoch, cfg)
    if cfg.epochs <= at:
        raise ConfigError("epochs", cfg.epochs, f"more than the branch epoch {at} (epochs count on from the parent's)")
    old = rundir.read_config(parent)
    changed = {f.name: [getattr(old, f.name), getattr(cfg, f.name)] for f in fields(cfg)
               if f.name != "extra" and getattr(old, f.name) != getattr(cfg, f.name)}
    state |= {"config": cfg.to_dict(), "rows": [r for r in state["rows"] if r["epoch"] <= at], "epoch": at,
              "seconds": 0.0, "diverged": None}
    if out is None:
        out = new_run_folder(parent.parent, f"{parent.name}-from{'' if epoch is None else f'-{epoch}'}")
    out = Path(out)
    with claim_folders([out]):  # made and locked; written as a run to resume: config, state, origin
        rundir.write_config(out, cfg)
        rundir.save_checkpoint(out, state)
        write_parent(out, parent, at, source, changed)
    return train(cfg, out, progress=progress, resume=True)


def write_parent(out: Path, parent: Path, at: int, source: str, changed: dict[str, list[Any]]) -> None:
    write_json(out / rundir.PARENT, {
        "parent": str(parent.resolve()), "epoch": at, "state": source,
        "optimizer": ("restarted: AdamW moments at zero, RNG streams from the seed (a float16 weight snapshot "
                      "holds no optimizer state)") if source == "snapshot" else "carried over with the weights",
        "changed": changed})
