"""The container every task produces: a training set with its facts marked, and a test set."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Split:
    """Train and test examples of one task draw.

    ``x_*`` are integer token ids (modular tasks: shape (n, 2), ids a and b) or float features
    (parity: shape (n, n_bits)). ``y_train`` is the label trained on; ``y_train_true`` the rule's
    label; ``is_fact`` marks the examples whose label was re-drawn at random (the "facts").
    """

    x_train: np.ndarray
    y_train: np.ndarray
    y_train_true: np.ndarray
    is_fact: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    vocab: int  # number of distinct input tokens (2p for one-hot(a) ⊕ one-hot(b)); 0 for float inputs

    @property
    def n_train(self) -> int:
        return len(self.y_train)

    @property
    def n_test(self) -> int:
        return len(self.y_test)


def corrupt_labels(y: np.ndarray, n_facts: int, n_classes: int, mode: str, rng: np.random.Generator) -> np.ndarray:
    """Re-draw the first ``n_facts`` labels at random.

    mode "wrong": uniform over the n_classes − 1 wrong labels, so every fact contradicts the rule.
    mode "uniform": uniform over all labels, as in the paper's code (≈ 1/n_classes stay correct).
    """
    y = y.copy()
    if mode == "wrong":
        y[:n_facts] = (y[:n_facts] + rng.integers(1, n_classes, size=n_facts)) % n_classes
    else:
        y[:n_facts] = rng.integers(0, n_classes, size=n_facts)
    return y


@dataclass(frozen=True)
class Task:
    """A task as a plug-in: its name (the value of ``TrainConfig.task``), the function that draws
    its ``Split`` from a config, and a one-line description of its data for summaries and reports.

    Everything else (the trainer, the subset metrics, sweeps, phases, run folders and reports)
    reads only the ``Split``, so a new task is one module that defines ``TASK = Task(...)``, its
    line in ``tasks.REGISTRY`` and its fields in ``config/train.py``.
    """

    name: str
    split: Callable[[Any], Split]  # TrainConfig → Split, deterministic in cfg.effective_data_seed
    describe: Callable[[Any], str]  # TrainConfig → e.g. "modular p=97 op=add"
