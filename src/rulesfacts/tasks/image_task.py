"""``--task images``: image classification with corrupted labels, through the trainer like any task.

The data set's training images (``tasks.images.load_dataset``: digits, mnist1d, or the MNIST /
Fashion-MNIST / CIFAR-10 files in ``data_path``), restricted to ``classes`` (renumbered 0..C−1 in
the order given), a seeded ``train_frac`` of them kept; the first ⌊ξ·n_train⌋ after the data seed's
shuffle are the facts, their labels redrawn (``tasks.base.corrupt_labels``: ``fact_mode`` wrong or
uniform). The test set is the data set's own test images of those classes. Inputs are flattened
and normalised with statistics of the kept training images (``normalize``); the MLP reads them as
dense features.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rulesfacts.declare import Choice, Maybe, Text, param
from rulesfacts.errors import ConfigError
from rulesfacts.tasks.base import Split, Task, corrupt_labels
from rulesfacts.tasks.images import DATASETS, NORMALIZATIONS, ImageData, load_dataset, normalize_features

if TYPE_CHECKING:
    from rulesfacts.config.train import TrainConfig

# (train, test) images of each data set: planning estimates before the data are read
SIZES = {"digits": (1258, 539), "mnist1d": (4000, 1000), "mnist": (60000, 10000), "fashion": (60000, 10000),
         "cifar10": (50000, 10000)}


@dataclass(frozen=True)
class Fields:
    dataset: str = param("digits", Choice(DATASETS), "images: the data set (digits and mnist1d need no files).")
    classes: str | None = param(None, Maybe(Text(nonempty=True), "all classes"),
                                "images: the classes kept, comma-separated (e.g. 0,1,7), renumbered 0..C−1.")
    normalize: str = param("standard", Choice(NORMALIZATIONS),
                           "images: input normalisation from the training images (standard: per-feature z-score; "
                           "unit: divide by the largest value; l2: unit-norm rows; none).")


@functools.cache
def cached_dataset(name: str, data_dir: str | None) -> ImageData:
    """One load per process: an ensemble's members and a sweep's runs share the images (mnist1d is
    regenerated, which takes seconds)."""
    return load_dataset(name, Path(data_dir) if data_dir else None)


def image_split(dataset: str, data_dir: str | None, classes: list[int] | None, train_frac: float,
                fact_frac: float, fact_mode: str, normalize: str, seed: int) -> Split:
    data = cached_dataset(dataset, data_dir)
    keep = classes if classes is not None else data.classes
    missing = sorted(set(keep) - set(data.classes))
    if missing:
        raise ConfigError("classes", ",".join(map(str, keep)), f"classes of {dataset}: {data.classes}")
    number = {c: i for i, c in enumerate(keep)}

    def pick(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mask = np.isin(y, keep)
        return x[mask], np.array([number[int(c)] for c in y[mask]], dtype=np.int64)

    x, y = pick(data.x_train, data.y_train)
    x_test, y_test = pick(data.x_test, data.y_test)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))[: max(int(train_frac * len(y)), 1)]
    x, y = x[order], y[order]
    n_facts = int(fact_frac * len(y))
    y_train = corrupt_labels(y, n_facts, len(keep), fact_mode, rng)
    is_fact = np.zeros(len(y), dtype=bool)
    is_fact[:n_facts] = True
    x, x_test = normalize_features(x, x_test, normalize, None)
    return Split(x_train=x.astype(np.float32), y_train=y_train, y_train_true=y, is_fact=is_fact,
                 x_test=x_test.astype(np.float32), y_test=y_test, n_classes=len(keep), vocab=0)


def split_of(cfg: TrainConfig) -> Split:
    classes = [int(c) for c in cfg.classes.split(",")] if cfg.classes is not None else None
    return image_split(cfg.dataset, cfg.data_path, classes, cfg.train_frac, cfg.fact_frac, cfg.fact_mode,
                       cfg.normalize, cfg.effective_data_seed)


def sizes(cfg: TrainConfig) -> tuple[int, int]:
    """An estimate for planning (classes taken as equally frequent); the split is exact."""
    share = 1.0 if cfg.classes is None else len(cfg.classes.split(",")) / 10
    n_train, n_test = SIZES[cfg.dataset]
    return max(int(cfg.train_frac * n_train * share), 1), max(int(n_test * share), 1)


def check(cfg: TrainConfig) -> None:
    if cfg.classes is not None:
        try:
            picked = [int(c) for c in cfg.classes.split(",")]
        except ValueError:
            picked = []
        if len(picked) < 2 or len(set(picked)) != len(picked) or min(picked) < 0:
            raise cfg.reject("classes", "two or more distinct class numbers ≥ 0, comma-separated, e.g. 0,1")


TASK = Task("images", split_of, lambda c: f"images {c.dataset}" + (f" classes {c.classes}" if c.classes else ""),
            fields=Fields, check=check, sizes=sizes)
