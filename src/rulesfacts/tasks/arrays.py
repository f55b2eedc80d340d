"""Your own data: x and y from a file (``io.read_arrays``: .npz, .npy pair or .csv), with the known
facts marked by an optional boolean column and a held-out test set (the file's, or a seeded
``test_frac`` of the rows).

Labels are mapped to 0..C−1 in sorted order of the values seen in y and y_test. On top of the
file's own facts, ``fact_frac`` > 0 injects more: that fraction of the remaining training labels is
redrawn (``tasks.base.corrupt_labels``, ``fact_mode`` wrong or uniform), so a clean data set can be
corrupted as the other tasks are. The true label of a file's fact is not known: its ``y_train_true``
is the file's label, so ``facts_recovered`` counts only injected facts as recoverable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rulesfacts.declare import Real, param
from rulesfacts.errors import DataFileError
from rulesfacts.io import read_arrays
from rulesfacts.tasks.base import Split, Task, corrupt_labels

if TYPE_CHECKING:
    from rulesfacts.config.train import TrainConfig

SPLIT_STREAM = 0xA77A  # the held-out rows and the injected facts: their own stream of the data seed


@dataclass(frozen=True)
class Fields:
    test_frac: float = param(0.2, Real(0.0, 1.0, lo_open=True, hi_open=True),
                             "arrays: fraction held out as the test set when the file has no x_test.")


def arrays_split(path: str, test_frac: float, fact_frac: float, fact_mode: str, seed: int) -> Split:
    a = read_arrays(Path(path))
    values = np.unique(np.concatenate([a["y"], a.get("y_test", a["y"][:0])]))
    if len(values) < 2:
        raise DataFileError(Path(path), "the labels take a single value: nothing to classify")
    y = np.searchsorted(values, a["y"]).astype(np.int64)
    x = a["x"].astype(np.float32)
    facts = a.get("facts", np.zeros(len(y), dtype=bool))
    rng = np.random.default_rng([seed, SPLIT_STREAM])
    if "x_test" in a:
        train, x_test, y_test = np.arange(len(y)), a["x_test"].astype(np.float32), np.searchsorted(values, a["y_test"])
    else:
        order = rng.permutation(len(y))
        n_test = min(max(int(round(test_frac * len(y))), 1), len(y) - 1)
        train, test = np.sort(order[n_test:]), np.sort(order[:n_test])
        x_test, y_test = x[test], y[test]
    x_train, y_true, is_fact = x[train], y[train], facts[train].copy()
    y_train = y_true.copy()
    clean = np.flatnonzero(~is_fact)
    n_new = int(fact_frac * len(clean))
    if n_new:
        chosen = rng.permutation(clean)[:n_new]
        y_train[chosen] = corrupt_labels(y_true[chosen], n_new, len(values), fact_mode, rng)
        is_fact[chosen] = True
    return Split(x_train=x_train, y_train=y_train, y_train_true=y_true, is_fact=is_fact, x_test=x_test,
                 y_test=y_test.astype(np.int64), n_classes=len(values), vocab=0)


def split_of(cfg: TrainConfig) -> Split:
    return arrays_split(cfg.data_path, cfg.test_frac, cfg.fact_frac, cfg.fact_mode, cfg.effective_data_seed)


def sizes(cfg: TrainConfig) -> tuple[int, int]:
    """(train, test): the file's test set, else round(test_frac·n) held out (reads the file)."""
    a = read_arrays(Path(cfg.data_path))
    if "y_test" in a:
        return len(a["y"]), len(a["y_test"])
    n_test = min(max(int(round(cfg.test_frac * len(a["y"]))), 1), len(a["y"]) - 1)
    return len(a["y"]) - n_test, n_test


def check(cfg: TrainConfig) -> None:
    if not cfg.data_path:
        raise cfg.reject("data_path", "the data file for task=arrays (.npz, .npy or .csv)")


TASK = Task("arrays", split_of, lambda c: f"arrays {Path(c.data_path).name}", fields=Fields, check=check, sizes=sizes,
            two_class=True)  # two classes or more: the file's labels decide (checked when read)
