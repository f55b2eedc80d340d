"""The run folder: everything one training run leaves behind, readable without the trainer.

    config.json        the full TrainConfig (written before training starts)
    metrics.csv        one row per logged epoch: the subset metrics and weight norms
    snapshots/epoch_NNNNNNN.npz   weights at evenly spaced logged epochs (float16, bounded count)
    weights.npz        final weights (float32): the arrays the model declares (``member_shapes``); an
                       MLP's in the paper layout, W_in (N, n_in), W_out (n_out, N)
    summary.json       final metrics, status (completed / diverged / interrupted), timings
    checkpoint.pt      resumable state (weights, optimizer, RNG), removed when the run completes
    final_state.pt     the same state at the last epoch, kept: `train --continue` / `--from` start there
    parent.json        a branched run's origin: the parent folder, the epoch, what changed
    curves.png         accuracy and loss per subset
    rulesfacts.lock    while a process writes the folder: its pid (``training.runfolder``)

Every file is written atomically, so a folder is valid at any moment, even after SIGKILL. Every file
is checked against its schema (types, shapes, ranges) here, where it is read: a file that fails is a
``DataFileError(path, problem)``, never a wrong number further on.
"""

from __future__ import annotations

import csv
import io as _io
import math
import re
import warnings
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from rulesfacts.config import saved_names
from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError, DataFileError, Note, short_repr
from rulesfacts.io import read_json, read_npz, save_with, write_json, write_text
from rulesfacts.models import MODEL_CLASSES
from rulesfacts.models.base import Shape
from rulesfacts.runtime import package_version
from rulesfacts.tasks import REGISTRY
from rulesfacts.training.metrics import METRIC_NAMES
from rulesfacts.training.summary import FRACTION_KEYS, SUMMARY_KEYS

CONFIG, METRICS, SUMMARY, WEIGHTS, CHECKPOINT, SNAPSHOTS = (
    "config.json", "metrics.csv", "summary.json", "weights.npz", "checkpoint.pt", "snapshots")
FINAL_STATE, PARENT = "final_state.pt", "parent.json"
LOCK = "rulesfacts.lock"  # held (flock) by the one process writing the folder; holds its pid


@dataclass
class Run:
    """A run folder loaded into memory."""

    path: Path
    config: TrainConfig
    metrics: pd.DataFrame
    summary: dict[str, Any]

    @property
    def diverged(self) -> bool:
        return self.summary.get("status") == "diverged"

    def weights(self) -> dict[str, np.ndarray]:
        """The final weights, checked against the config (see ``check_weights``)."""
        self.check_weights()
        return read_weights(self.path / WEIGHTS, self.config)

    def check_weights(self) -> None:
        """A diverged run has no weights worth reading (they are not finite: nothing computed from
        them means anything), and an interrupted run has none yet: both are a ``DataFileError``
        that says so and what to do."""
        if self.diverged:
            at = self.summary.get("diverged_epoch")
            raise DataFileError(self.path / SUMMARY, f"the run diverged{f' at epoch {at}' if at is not None else ''} "
                                "(its loss or weights stopped being finite), so its weights are not a network to "
                                "analyse; train again with a smaller --lr")
        if not (self.path / WEIGHTS).is_file() and (self.path / CHECKPOINT).is_file():
            raise DataFileError(self.path / WEIGHTS, f"not written yet: the run stopped at epoch "
                                f"{self.summary.get('epochs', '?')} of {self.config.epochs} and its state is in "
                                f"{CHECKPOINT}; finish it with `rulesfacts train --resume --out {self.path}`")

    def snapshot_epochs(self) -> list[int]:
        """The epochs of the snapshots; a file in snapshots/ whose name is not ``epoch_NNNNNNN.npz``
        (a copy, a download) is not one of ours: skipped, with a note."""
        epochs = []
        for f in sorted((self.path / SNAPSHOTS).glob("*.npz")):
            if (m := SNAPSHOT_NAME.fullmatch(f.name)) is None:
                warnings.warn(f"{f}: not a snapshot name (epoch_NNNNNNN.npz); skipped", Note, stacklevel=2)
            else:
                epochs.append(int(m.group(1)))
        return sorted(epochs)

    def snapshot(self, epoch: int) -> dict[str, np.ndarray]:
        weights = read_weights(snapshot_path(self.path, epoch), self.config)
        return {k: v.astype(np.float32) for k, v in weights.items()}


SNAPSHOT_NAME = re.compile(r"epoch_(\d{7,})\.npz")


def snapshot_path(run_dir: Path, epoch: int) -> Path:
    return Path(run_dir) / SNAPSHOTS / f"epoch_{epoch:07d}.npz"


def write_config(run_dir: Path, cfg: TrainConfig) -> None:
    write_json(Path(run_dir) / CONFIG, {"rulesfacts_version": package_version(), "config": cfg.to_dict()})


def read_config(run_dir: Path) -> TrainConfig:
    data = read_json(Path(run_dir) / CONFIG)
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        raise DataFileError(Path(run_dir) / CONFIG, "not a rulesfacts run config (no 'config' table)")
    missing = [f for f in CONFIG_FIELDS if f not in data["config"] and not _renamed_given(f, data["config"])]
    if missing:  # a config.json of an older rulesfacts, or edited by hand: say what is assumed
        warnings.warn(f"{Path(run_dir) / CONFIG}: no value for {', '.join(missing[:5])}"
                      f"{' and others' if len(missing) > 5 else ''}; the defaults are assumed", Note, stacklevel=2)
    try:
        return TrainConfig.from_saved(data["config"])
    except ConfigError as e:
        raise DataFileError(Path(run_dir) / CONFIG, f"invalid run config: {e}") from None
    except TypeError as e:  # e.g. a field given a table where a value belongs
        raise DataFileError(Path(run_dir) / CONFIG, f"invalid run config ({e})") from None


def _renamed_given(name: str, given: dict[str, Any]) -> bool:
    return any(new == name and old in given for old, new in saved_names(TrainConfig).items())


def write_metrics(run_dir: Path, rows: list[dict[str, Any]]) -> None:
    """One row per logged epoch; a run that diverged before its first log still gets the header,
    so every run folder has a readable (possibly empty) metrics table."""
    fieldnames = list(rows[0]) if rows else ["epoch", *METRIC_NAMES, "norm_in", "norm_out"]
    buf = _io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fieldnames, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
    write_text(Path(run_dir) / METRICS, buf.getvalue())


def read_metrics(run_dir: Path) -> pd.DataFrame:
    """The run's metrics table, refusing a damaged file rather than plotting a made-up curve: a
    file cut mid-row still parses in pandas (the missing cells become NaN), so rows are checked."""
    path = Path(run_dir) / METRICS
    if not path.is_file():
        raise DataFileError(path, "file not found (expected the run's metrics CSV)")
    try:
        text = path.read_text()
        df = pd.read_csv(_io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise DataFileError(path, f"not a valid metrics CSV ({e.__class__.__name__})") from None
    if "epoch" not in df.columns:
        raise DataFileError(path, "not a valid metrics CSV (no 'epoch' column)")
    lines = text.splitlines()
    if not text.endswith("\n") or any(line.count(",") != lines[0].count(",") for line in lines):
        raise DataFileError(path, "truncated metrics CSV (a row is cut short)")
    if df.empty:  # header only: a run that diverged at once
        return df.astype({"epoch": "int64", **{c: "float64" for c in df.columns if c in NUMERIC_COLUMNS}})
    if not pd.api.types.is_integer_dtype(df["epoch"]) or not df["epoch"].is_monotonic_increasing:
        raise DataFileError(path, "not a valid metrics CSV (epochs missing, not integers or out of order)")
    if not df["epoch"].is_unique or df["epoch"].iloc[0] < 0:
        raise DataFileError(path, "not a valid metrics CSV (an epoch appears twice or is negative)")
    bad = [c for c in df.columns if c in NUMERIC_COLUMNS and not pd.api.types.is_numeric_dtype(df[c])]
    if bad:
        raise DataFileError(path, f"not a valid metrics CSV (column {bad[0]!r} is not numeric)")
    holes = [c for c in ALWAYS_PRESENT if c in df.columns and df[c].isna().any()]
    if holes:  # these exist at every logged epoch (diverged epochs are never logged)
        raise DataFileError(path, f"not a valid metrics CSV (column {holes[0]!r} has empty cells)")
    for c in (c for c in df.columns if c in NUMERIC_COLUMNS):  # logged rows are healthy: finite, in range
        col = df[c].dropna()
        hi = 1.0 if c in FRACTION_COLUMNS else math.inf
        out = col[~np.isfinite(col) | (col < 0) | (col > hi)]
        if len(out):
            allowed = "in [0, 1]" if c in FRACTION_COLUMNS else "finite and ≥ 0"
            raise DataFileError(path, f"not a valid metrics CSV ({c}={out.iloc[0]!r} at epoch "
                                f"{df['epoch'][out.index[0]]}; every {c} is {allowed})")
    return df


def write_summary(run_dir: Path, summary: dict[str, Any]) -> None:
    write_json(Path(run_dir) / SUMMARY, summary)


def read_summary(run_dir: Path) -> dict[str, Any]:
    """summary.json, checked: a JSON object whose known keys (``training.summary``) have their
    types, accuracies in [0, 1], losses and seconds ≥ 0, a known status (unknown keys are kept)."""
    path = Path(run_dir) / SUMMARY
    data = read_json(path)
    if not isinstance(data, dict):
        raise DataFileError(path, f"not a run summary (a JSON object expected, found {type(data).__name__})")
    for key, declared in SUMMARY_KEYS.items():
        v = data.get(key)
        if v is None:
            continue
        if declared.sql == "TEXT":
            ok, words = isinstance(v, str), "text"
        elif declared.sql == "INTEGER":
            ok, words = isinstance(v, int) and not isinstance(v, bool), "an integer"
        else:
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
            ok, words = ok and (v <= 1 or key not in FRACTION_COLUMNS), \
                "a number in [0, 1]" if key in FRACTION_COLUMNS else "a finite number ≥ 0"
        if key == "status":
            ok, words = ok and v in STATUSES, f"one of {', '.join(STATUSES)}"
        if not ok:
            raise DataFileError(path, f"not a valid run summary ({key}={short_repr(v)}; expected {words} or null)")
    return data


def write_weights(path: Path, weights: dict[str, np.ndarray], dtype: type = np.float32) -> None:
    save_with(Path(path), lambda f: np.savez(f, **{k: v.astype(dtype) for k, v in weights.items()}))


def load_npz(path: Path) -> dict[str, np.ndarray]:
    return read_npz(path, "a NumPy .npz weights file")


def weight_shapes(cfg: TrainConfig) -> dict[str, Shape]:
    """The arrays of a weights file of ``cfg``'s model and their shapes (``member_shapes`` of the
    model, with the task's inputs and classes where it declares them: ``Task.dims``; None: a size
    the config alone does not fix)."""
    task = REGISTRY[cfg.task]
    n_in, n_out = task.dims(cfg) if task.dims is not None else (None, None)
    return MODEL_CLASSES[cfg.model].member_shapes(cfg, n_in, n_out)


def shape_words(shape: Shape) -> str:
    """(8, 14) as NumPy writes it, an unknown size as 'any': (8, any), (8,)."""
    sizes = ["any" if n is None else str(n) for n in shape]
    return f"({sizes[0]},)" if len(sizes) == 1 else f"({', '.join(sizes)})"


def read_weights(path: Path, cfg: TrainConfig) -> dict[str, np.ndarray]:
    """weights.npz or a snapshot, checked against the run's config: numeric arrays, and every
    array the run's model writes (``weight_shapes``: an MLP's W_in (width, n_in) and W_out
    (n_out, width), a transformer's embed, W_Q, ..., unembed, ...) with its shape."""
    weights = load_npz(path)
    expected = weight_shapes(cfg)
    layout = ", ".join(f"{name} {shape_words(shape)}" for name, shape in expected.items())
    odd = [k for k, v in weights.items() if not np.issubdtype(v.dtype, np.number)]
    if odd:
        raise DataFileError(path, f"not a weights file ({odd[0]} is not a numeric array but {weights[odd[0]].dtype}; "
                            f"expected {layout})")
    missing = [k for k in expected if k not in weights]
    if missing:
        raise DataFileError(path, f"not a weights file of this run's {cfg.model} (no {missing[0]}; expected {layout})")
    for name, shape in expected.items():
        got = weights[name].shape
        if len(got) != len(shape) or any(n is not None and n != g for n, g in zip(shape, got, strict=True)):
            raise DataFileError(path, f"{name} has shape {got}, not the {shape_words(shape)} of this run's "
                                f"{cfg.model} (expected {layout})")
    return weights


def save_checkpoint(run_dir: Path, state: dict[str, Any]) -> None:
    """The trainer's state of one member (``Trainer.state``): what an unfinished run resumes from."""
    save_with(Path(run_dir) / CHECKPOINT, lambda f: torch.save(state, f))


def save_final_state(run_dir: Path, state: dict[str, Any]) -> None:
    """The same state at a finished run's last epoch, kept (``train --continue``, ``--from``)."""
    save_with(Path(run_dir) / FINAL_STATE, lambda f: torch.save(state, f))


def load_checkpoint(run_dir: Path, name: str = CHECKPOINT) -> dict[str, Any] | None:
    """A state saved by ``save_checkpoint`` (None when the file is absent), checked."""
    path = Path(run_dir) / name
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a damaged file
        raise DataFileError(path, f"corrupt checkpoint ({e.__class__.__name__}); delete it to start over") from None
    missing = sorted(CHECKPOINT_KEYS - set(state)) if isinstance(state, dict) else ["(not a table)"]
    if missing:
        raise DataFileError(path, f"not a rulesfacts checkpoint (missing {missing[0]}); delete it to start over")
    if not isinstance(state["config"], dict):
        raise DataFileError(path, "not a rulesfacts checkpoint (its config is not a table); delete it to start over")
    if problem := _checkpoint_problem(state):
        raise DataFileError(path, f"not a rulesfacts checkpoint ({problem}); delete it to start over")
    try:  # the config under today's field names (a checkpoint may predate a rename)
        state["config"] = TrainConfig.from_saved(state["config"]).to_dict()
    except (ConfigError, TypeError) as e:
        raise DataFileError(path, f"invalid run config in the checkpoint ({e}); delete it to start over") from None
    return state


def _checkpoint_problem(state: dict[str, Any]) -> str | None:
    """What in a checkpoint's entries has the wrong type (shapes are checked against the model
    when it is restored: ``RunFolderWriter.restore``)."""
    def tensors(x: Any) -> bool:
        return isinstance(x, (list, tuple)) and all(isinstance(t, torch.Tensor) for t in x)

    epoch, params, opt, rows = state["epoch"], state["params"], state["opt"], state["rows"]
    checks = {
        "epoch": isinstance(epoch, int) and not isinstance(epoch, bool) and epoch >= 0,
        "params": isinstance(params, dict) and all(isinstance(v, torch.Tensor) for v in params.values()),
        "opt": isinstance(opt, dict) and isinstance(opt.get("t"), int) and tensors(opt.get("exp_avg"))
        and tensors(opt.get("exp_avg_sq")),
        "rng": isinstance(state["rng"], torch.Tensor) and isinstance(state.get("dropout_rng", state["rng"]),
                                                                      torch.Tensor),
        "rows": isinstance(rows, list) and all(isinstance(r, dict) for r in rows),
        "seconds": isinstance(state["seconds"], (int, float)) and math.isfinite(state["seconds"]),
    }
    bad = [k for k, ok in checks.items() if not ok]
    return f"its {bad[0]} entry has the wrong type" if bad else None


NUMERIC_COLUMNS = frozenset(METRIC_NAMES) | {"norm_in", "norm_out"}
FRACTION_COLUMNS = FRACTION_KEYS  # the metrics' accuracies are the summary's final ones
STATUSES = ("completed", "diverged", "interrupted", "running")
CONFIG_FIELDS = tuple(f.name for f in fields(TrainConfig) if f.name != "extra")
ALWAYS_PRESENT = ("train_loss", "train_acc", "test_loss", "test_acc")
CHECKPOINT_KEYS = frozenset({"epoch", "params", "opt", "rng", "rows", "seconds", "config"})
# What a previous run in the same folder may have left; removed before a fresh start so a folder
# never mixes a new config.json with an old run's weights, metrics or "completed" summary.
RUN_FILES = (SUMMARY, CHECKPOINT, FINAL_STATE, PARENT, WEIGHTS, METRICS, "curves.png")


def remove_temp_files(run_dir: Path) -> None:
    """Delete the hidden ``.name.XXXX.tmp`` files a SIGKILL during an atomic write leaves behind
    (readers never look at them; this only tidies the folder)."""
    run_dir = Path(run_dir)
    for tmp in [*run_dir.glob(".*.tmp"), *(run_dir / SNAPSHOTS).glob(".*.tmp")]:
        tmp.unlink(missing_ok=True)


def clear_run_files(run_dir: Path) -> None:
    """Remove an earlier run's outputs (summary first: a folder without one reads as 'running')."""
    run_dir = Path(run_dir)
    for name in RUN_FILES:
        (run_dir / name).unlink(missing_ok=True)
    for snap in (run_dir / SNAPSHOTS).glob("epoch_*.npz"):
        snap.unlink(missing_ok=True)


def load_run(run_dir: Path) -> Run:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise DataFileError(run_dir, "not a folder (expected a run folder with config.json)")
    summary_path = run_dir / SUMMARY
    summary = read_summary(run_dir) if summary_path.is_file() else {"status": "running"}
    return Run(run_dir, read_config(run_dir), read_metrics(run_dir), summary)
