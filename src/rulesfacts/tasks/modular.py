"""Modular arithmetic with corrupted labels (Doshi, Das, He & Gromov 2024, Sec. 2).

All pairs (a, b) ∈ Z_p × Z_p (b ≠ 0 for division), label a ∘ b mod p; with ``pairs =
"unordered"`` (a commutative operation) only a ≤ b, each unordered pair once, p(p + 1)/2 of them
(PAIR's explorable, Pearce et al. 2023). A seeded shuffle puts
the first ⌊α·n⌋ pairs in train; the first ⌊ξ·n_train⌋ of those get a random label (the facts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rulesfacts.declare import Choice, Int, param
from rulesfacts.tasks.base import Split, Task, check_batch_fits, corrupt_labels

if TYPE_CHECKING:
    from rulesfacts.config.train import TrainConfig

OPS = ("add", "sub", "mul", "div")
COMMUTATIVE = ("add", "mul")
PAIRS = ("ordered", "unordered")


@dataclass(frozen=True)
class Fields:
    p: int = param(97, Int(2, 1000), "Modulus p (a prime ≥ 3 for op=div).")
    op: str = param("add", Choice(OPS), "Operation: (a op b) mod p.")
    pairs: str = param("ordered", Choice(PAIRS), "Which pairs make the data: ordered: every (a, b); unordered: "
                       "a ≤ b only, each pair once (add, mul; PAIR's setup).")


def all_pairs(p: int, op: str, pairs: str = "ordered") -> tuple[np.ndarray, np.ndarray]:
    """Every (a, b) the operation is defined on (only a ≤ b for unordered ``pairs``), in
    lexicographic order, and its label."""
    a, b = np.divmod(np.arange(p * p), p)
    keep = (b != 0) if op == "div" else np.ones(p * p, dtype=bool)
    if pairs == "unordered":
        keep &= a <= b
    a, b = a[keep], b[keep]
    return np.stack([a, b], axis=1), apply_op(a, b, p, op)


def apply_op(a: np.ndarray, b: np.ndarray, p: int, op: str) -> np.ndarray:
    if op == "add":
        return (a + b) % p
    if op == "sub":
        return (a - b) % p
    if op == "mul":
        return (a * b) % p
    if op == "div":  # a · b^(p−2) = a / b in the field Z_p (Fermat)
        inv = np.array([pow(int(x), p - 2, p) for x in range(p)])
        return (a * inv[b]) % p
    raise ValueError(f"unknown op {op!r}")


def modular_split(p: int, op: str, train_frac: float, fact_frac: float, fact_mode: str, seed: int,
                  pairs_kind: str = "ordered") -> Split:
    pairs, y = all_pairs(p, op, pairs_kind)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    pairs, y = pairs[order], y[order]
    n_train = int(train_frac * len(y))
    n_facts = int(fact_frac * n_train)
    y_train = corrupt_labels(y[:n_train], n_facts, p, fact_mode, rng)
    is_fact = np.zeros(n_train, dtype=bool)
    is_fact[:n_facts] = True
    # token ids: a in [0, p), b in [p, 2p): one-hot(a) ⊕ one-hot(b) as two embedding rows
    tokens = pairs + np.array([0, p])
    return Split(
        x_train=tokens[:n_train], y_train=y_train, y_train_true=y[:n_train], is_fact=is_fact,
        x_test=tokens[n_train:], y_test=y[n_train:], n_classes=p, vocab=2 * p,
    )


def split_of(cfg: TrainConfig) -> Split:
    return modular_split(cfg.p, cfg.op, cfg.train_frac, cfg.fact_frac, cfg.fact_mode, cfg.effective_data_seed,
                         cfg.pairs)


def sizes(cfg: TrainConfig) -> tuple[int, int]:
    if cfg.pairs == "unordered":
        total = cfg.p * (cfg.p + 1) // 2
    else:
        total = cfg.p * (cfg.p - 1) if cfg.op == "div" else cfg.p * cfg.p
    n_train = int(cfg.train_frac * total)
    return n_train, total - n_train


def is_prime(n: int) -> bool:
    return n >= 2 and all(n % d for d in range(2, math.isqrt(n) + 1))


def check(cfg: TrainConfig) -> None:
    if cfg.op == "div" and (cfg.p < 3 or not is_prime(cfg.p)):
        raise cfg.reject("p", "a prime ≥ 3 for op=div (division needs a field)")
    if cfg.pairs == "unordered" and cfg.op not in COMMUTATIVE:
        raise cfg.reject("pairs", f"ordered for op={cfg.op} (unordered pairs need a commutative operation: "
                                  f"{', '.join(COMMUTATIVE)})")
    n_train, n_test = sizes(cfg)
    if n_train < 1 or n_test < 1:
        raise cfg.reject("train_frac", f"a fraction leaving ≥ 1 train and ≥ 1 test example of the {n_train + n_test} "
                                       "pairs")
    check_batch_fits(cfg, n_train)


def describe(cfg: TrainConfig) -> str:
    return f"modular p={cfg.p} op={cfg.op}" + (" a≤b" if cfg.pairs == "unordered" else "")


TASK = Task("modular", split_of, describe, fields=Fields, check=check, sizes=sizes,
            dims=lambda c: (2 * c.p, c.p), tokens=True)
