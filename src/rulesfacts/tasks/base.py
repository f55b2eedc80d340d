"""The container every task produces (a training set with its facts marked, and a test set) and
the task itself as a plug-in (its split, its own config fields and rules, its sizes)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_SIZE = 10_000_000  # epochs, examples, batch: far beyond a CPU lab, short of an overflow


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


def no_rules(cfg: Any) -> None:
    """A task without rules between its fields (``Task.check``'s default)."""


def check_batch_fits(cfg: Any, n_train: int) -> None:
    """A minibatch no larger than the ``n_train`` training examples (0: full batch), for the tasks
    whose training-set size follows from the config alone."""
    if cfg.batch_size > n_train:
        raise cfg.reject("batch_size", f"0 (full batch) or ≤ the {n_train} training examples")


@dataclass(frozen=True)
class RuleDirection:
    """Where in input space a task's rule lives, for the per-neuron analysis (``analysis.dense``):
    how close a hidden neuron's input weights W_in[k] come to computing the rule.

    kind: what the alignment measures, in a few words ("teacher", "relevant bits"): the ``rule`` of
        the analysis summary and of the report's data.
    axis: the alignment's axis label in the figures ("|cos(w_in, w*)|").
    alignment: (config, W_in (N, n_in) float64) → (N,): each neuron's alignment, NaN for a zero row
        (``cosines``, ``mass_shares``).
    chance: config → the alignment of a random direction (``random_cosine``; k/n for a share).
    """

    kind: str
    axis: str
    alignment: Callable[[Any, np.ndarray], np.ndarray]
    chance: Callable[[Any], float]


def cosines(w: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """cos(w[k], direction) per row of ``w`` (N, d); NaN for a zero row."""
    norm = np.linalg.norm(w, axis=1) * np.linalg.norm(direction)
    return np.divide(w @ direction, norm, out=np.full(len(w), np.nan), where=norm > 0)


def random_cosine(d: int) -> float:
    """E|cos| of a uniform direction in d dimensions with a fixed one: Γ(d/2) / (√π Γ((d+1)/2)),
    about √(2/(πd)) for large d."""
    return math.exp(math.lgamma(d / 2) - math.lgamma((d + 1) / 2)) / math.sqrt(math.pi)


def mass_shares(w: np.ndarray, coordinates: np.ndarray) -> np.ndarray:
    """Σ_{i∈coordinates} |w[k, i]| / Σ_i |w[k, i]| per row of ``w``; NaN for a zero row."""
    a = np.abs(w)
    total = a.sum(axis=1)
    return np.divide(a[:, coordinates].sum(axis=1), total, out=np.full(len(w), np.nan), where=total > 0)


@dataclass(frozen=True)
class Task:
    """A task as a plug-in: one module that defines ``TASK = Task(...)``.

    name: the value of ``TrainConfig.task`` (``--task NAME``).
    split: config → ``Split``, deterministic in ``cfg.effective_data_seed``.
    describe: config → a one-line description of its data for summaries and reports.
    fields: the task's own config fields, a frozen dataclass of ``rulesfacts.declare.param(...)``
        fields; ``TrainConfig`` is composed of the core fields and every task's, so they get CLI
        flags, config.json and sweep-table columns, docs rows and property-test strategies like
        any field. Fields several tasks share (``train_frac``, ``test_size``, ``fact_frac``,
        ``fact_mode``, ``data_seed``, ``data_path``) are core fields.
    check: the rules between the task's fields (and the core ones), run for configs of this task
        after every field passed its own constraint: ``raise cfg.reject(field, "what is allowed")``.
    sizes: config → (train, test) example counts without drawing the data, for planning (batch
        sizes, cost estimates); None: they are read off a drawn split.
    dims: config → (inputs, classes) without drawing the data: the split's ``vocab`` for token
        inputs, else its feature count, and its ``n_classes``; the sizes of a model's weights
        follow (``training.rundir.read_weights`` checks a weights file against them). None: only
        the sizes set by the config are checked.
    tokens: the inputs are token ids (the one-layer transformer reads them; the linear and
        random-features models need float features).
    two_class: the labels can be two classes (the margin losses and the linear and
        random-features models need two).
    rule: where the rule lives in input space (``RuleDirection``: RAF's teacher, parity's relevant
        bits), so the per-neuron analysis measures each neuron's alignment with it; None: the task
        declares none (the analysis leaves the alignment out).

    Everything else (the trainer, the subset metrics, sweeps, phases, run folders and reports)
    reads only the ``Split``. ``rulesfacts.tasks`` finds the task modules of its package and the
    entry points of the group ``rulesfacts.tasks`` (a plug-in package's own tasks): adding a task
    is one file plus its tests, with no list to edit.
    """

    name: str
    split: Callable[[Any], Split]
    describe: Callable[[Any], str]
    fields: type | None = None
    check: Callable[[Any], None] = no_rules
    sizes: Callable[[Any], tuple[int, int]] | None = None
    dims: Callable[[Any], tuple[int, int]] | None = None
    tokens: bool = False
    two_class: bool = False
    rule: RuleDirection | None = None

    def counts(self, cfg: Any) -> tuple[int, int]:
        """(train, test) example counts of ``cfg``."""
        if self.sizes is not None:
            return self.sizes(cfg)
        split = self.split(cfg)
        return split.n_train, split.n_test

    def train_count(self, cfg: Any) -> int:
        return self.counts(cfg)[0]

    def n_examples(self, cfg: Any) -> int:
        """Size of the whole example set (train and test) the split is drawn from."""
        return sum(self.counts(cfg))
