"""The one configuration of a training run, validated in one place.

Defaults are the setup of Doshi, Das, He & Gromov ("To grok or not to grok", 2024, Sec. 2):
p = 97, N = 500, quadratic activation, MSE on one-hot targets, AdamW lr 1e-2, betas (0.9, 0.98),
full batch, training fraction α = 0.5 and corruption ξ = 0.35.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from rulesfacts.errors import ConfigError

OPS = ("add", "sub", "mul", "div")
ACTS = ("quadratic", "relu", "gelu")
LOSSES = ("mse", "ce")
TASKS = ("modular", "parity")
MODELS = ("mlp", "transformer")
CORRUPT_MODES = ("wrong", "uniform")
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("float32", "bfloat16")
DROPOUT_POSITIONS = ("pre", "post")

# Fields that may differ between members of one batched ensemble; all others fix the shapes and
# the computation graph and must be equal (see ``ensemble_key``).
MEMBER_FIELDS = frozenset(
    {"seed", "data_seed", "corrupt", "corrupt_mode", "lr", "wd", "l1", "l2", "dropout", "init_scale"}
)

# Fields that say how a run is computed, not what it computes: runs that differ only in them are
# the same run (config equality, the resume check, sweep run ids).
HOW_FIELDS = frozenset({"compile"})


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a run. Same config → same numbers (on the same device/threads)."""

    # task
    task: str = "modular"
    p: int = 97
    op: str = "add"
    train_frac: float = 0.5
    corrupt: float = 0.35
    corrupt_mode: str = "wrong"  # "wrong": a fact's label is never the true one; "uniform": paper
    data_seed: int | None = None  # None: use ``seed``
    # sparse parity task (issue: more rules to grok)
    n_bits: int = 30
    k: int = 3
    n_train: int = 1200
    n_test: int = 2000
    # model
    model: str = "mlp"
    width: int = 500
    act: str = "quadratic"
    init_scale: float | None = None  # None: the paper's σ = 0.5 / (2N)^(1/3)
    bias: bool = False
    dropout: float = 0.0
    dropout_position: str = "pre"  # "pre": on the pre-activation as in the paper's code
    batchnorm: bool = False
    # transformer (one layer)
    d_model: int = 128
    n_heads: int = 4
    # training
    loss: str = "mse"
    lr: float = 1e-2
    betas: tuple[float, float] = (0.9, 0.98)
    eps: float = 1e-8
    wd: float = 0.0  # decoupled (AdamW) weight decay
    l2: float = 0.0  # coupled penalty l2/2 · ||w||² added to the loss
    l1: float = 0.0  # coupled penalty l1 · ||w||₁ added to the loss
    batch_size: int = 0  # 0 = full batch
    lr_batch_scaling: bool = False  # lr · sqrt(batch/256), as the paper's BatchNorm runs
    epochs: int = 1000
    log_every: int = 10
    n_snapshots: int = 20  # weight snapshots kept (evenly spaced log epochs, float16)
    seed: int = 0
    device: str = "auto"
    dtype: str = "float32"  # "bfloat16": autocast matmuls, fp32 master weights
    # torch.compile: the hand-written path's blocks as compiled graphs (models/fused.py), or the
    # autograd path (BatchNorm, dropout, biases, transformer); one of HOW_FIELDS
    compile: bool = field(default=False, compare=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if isinstance(self.betas, list):
            object.__setattr__(self, "betas", tuple(self.betas))
        validate(self)

    # -- derived -----------------------------------------------------------------------
    @property
    def effective_data_seed(self) -> int:
        return self.seed if self.data_seed is None else self.data_seed

    @property
    def effective_init_scale(self) -> float:
        """σ = 0.5 / (2N)^(1/3): the init of the paper's public code (0.05 at N = 500)."""
        return self.init_scale if self.init_scale is not None else 0.5 / (2 * self.width) ** (1 / 3)

    @property
    def effective_lr(self) -> float:
        if self.lr_batch_scaling and self.batch_size > 0:
            return self.lr * math.sqrt(self.batch_size / 256)
        return self.lr

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(unknown[0], d[unknown[0]], f"unknown field; known fields: {', '.join(sorted(known))}")
        return cls(**d)


def ensemble_key(cfg: TrainConfig) -> tuple:
    """Configs with equal keys can be trained together as one batched ensemble."""
    return tuple((f.name, _freeze(getattr(cfg, f.name))) for f in fields(cfg)
                 if f.name not in MEMBER_FIELDS | {"extra"})


def _freeze(v: Any) -> Any:
    return tuple(sorted(v.items())) if isinstance(v, dict) else v


def _is_prime(n: int) -> bool:
    return n >= 2 and all(n % d for d in range(2, math.isqrt(n) + 1))


def n_examples(cfg: TrainConfig) -> int:
    """Size of the full example set the train/test split is drawn from."""
    if cfg.task == "parity":
        return cfg.n_train + cfg.n_test
    return cfg.p * (cfg.p - 1) if cfg.op == "div" else cfg.p * cfg.p


def n_train(cfg: TrainConfig) -> int:
    if cfg.task == "parity":
        return cfg.n_train
    return int(cfg.train_frac * n_examples(cfg))


def validate(cfg: TrainConfig) -> None:
    """Check every field against its allowed range; raise ``ConfigError`` on the first bad one.

    This is the one place a value is checked, whatever it came from (CLI flag, sweep TOML, Python):
    the message names the field, the value and, in words, what is allowed.
    """
    _normalise_numpy(cfg)
    _choice(cfg, "task", TASKS)
    _choice(cfg, "op", OPS)
    _choice(cfg, "act", ACTS)
    _choice(cfg, "loss", LOSSES)
    _choice(cfg, "model", MODELS)
    _choice(cfg, "corrupt_mode", CORRUPT_MODES)
    _choice(cfg, "device", DEVICES)
    _choice(cfg, "dtype", DTYPES)
    _choice(cfg, "dropout_position", DROPOUT_POSITIONS)
    if cfg.data_seed is not None and (not _is_int(cfg.data_seed) or not 0 <= cfg.data_seed <= MAX_SEED):
        raise ConfigError("data_seed", cfg.data_seed, f"an integer from 0 to {MAX_SEED}, or None (use seed)")
    _int_range(cfg, "p", 2, 1000)
    if cfg.op == "div" and (cfg.p < 3 or not _is_prime(cfg.p)):
        raise ConfigError("p", cfg.p, "a prime ≥ 3 for op=div (division needs a field)")
    _int_range(cfg, "width", 1, 100_000)
    _int_range(cfg, "epochs", 1, 10_000_000)
    _int_range(cfg, "log_every", 1, 10_000_000)
    _int_range(cfg, "n_snapshots", 0, 10_000)
    _int_range(cfg, "seed", 0, MAX_SEED)
    _int_range(cfg, "batch_size", 0, 10_000_000)
    _int_range(cfg, "n_bits", 1, 1000)
    _int_range(cfg, "k", 1, cfg.n_bits)
    _int_range(cfg, "n_train", 1, 10_000_000)
    _int_range(cfg, "n_test", 1, 10_000_000)
    _int_range(cfg, "d_model", 1, 100_000)
    _int_range(cfg, "n_heads", 1, cfg.d_model)
    if cfg.d_model % cfg.n_heads:
        raise ConfigError("n_heads", cfg.n_heads, f"a divisor of d_model={cfg.d_model}")
    if cfg.model == "transformer" and cfg.task != "modular":
        raise ConfigError("model", cfg.model, "'mlp' for task=parity (the transformer reads (a, b) tokens)")
    _float(cfg, "train_frac", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    _float(cfg, "corrupt", lo=0.0, hi=1.0, hi_open=True)
    _float(cfg, "lr", lo=0.0, lo_open=True)
    _float(cfg, "eps", lo=0.0, lo_open=True)
    _float(cfg, "wd", lo=0.0)
    _float(cfg, "l2", lo=0.0)
    _float(cfg, "l1", lo=0.0)
    _float(cfg, "dropout", lo=0.0, hi=1.0, hi_open=True)
    if cfg.init_scale is not None:
        _float(cfg, "init_scale", lo=0.0, lo_open=True)
    if not (isinstance(cfg.betas, tuple) and len(cfg.betas) == 2
            and all(_is_number(b) and 0 <= b < 1 for b in cfg.betas)):
        raise ConfigError("betas", cfg.betas, "two numbers, each ≥ 0 and < 1")
    for name in ("bias", "batchnorm", "lr_batch_scaling", "compile"):
        if not isinstance(getattr(cfg, name), bool):
            raise ConfigError(name, getattr(cfg, name), "true or false")
    if cfg.task == "modular":
        total, ntr = n_examples(cfg), n_train(cfg)
        if ntr < 1 or ntr >= total:
            raise ConfigError("train_frac", cfg.train_frac,
                              f"a fraction leaving ≥ 1 train and ≥ 1 test example of the {total} pairs")
    if cfg.batch_size > n_train(cfg):
        raise ConfigError("batch_size", cfg.batch_size, f"0 (full batch) or ≤ the {n_train(cfg)} training examples")
    if cfg.batchnorm and cfg.batch_size == 1:
        raise ConfigError("batch_size", cfg.batch_size, "≥ 2 with batchnorm (statistics need two examples)")
    if cfg.model == "transformer" and (cfg.dropout > 0 or cfg.batchnorm):
        raise ConfigError("dropout" if cfg.dropout > 0 else "batchnorm", cfg.dropout or cfg.batchnorm,
                          "0 / false for model=transformer (dropout and BatchNorm are MLP features)")
    if not isinstance(cfg.extra, dict):
        raise ConfigError("extra", cfg.extra, "a table of free-form annotations")
    try:  # written to config.json and checkpoint.pt, so it must be plain data
        json.dumps(cfg.extra, allow_nan=False)
    except (TypeError, ValueError):
        raise ConfigError("extra", cfg.extra, "plain data (text, numbers, lists, tables)") from None


MAX_SEED = 2**63 - 1  # torch seeds the dropout stream with seed + RNG_OFFSET, which must fit 64 bits


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _normalise_numpy(cfg: TrainConfig) -> None:
    """Turn NumPy scalars (e.g. a config built from a pandas row) into plain Python numbers, so they
    compare, hash and serialise like the ints and floats a user would type."""
    for f in fields(cfg):
        v = getattr(cfg, f.name)
        if isinstance(v, np.generic) and isinstance(v, (np.integer, np.floating, np.bool_)):
            object.__setattr__(cfg, f.name, v.item())


def _choice(cfg: TrainConfig, name: str, allowed: tuple[str, ...]) -> None:
    if not isinstance(getattr(cfg, name), str) or getattr(cfg, name) not in allowed:
        raise ConfigError(name, getattr(cfg, name), f"one of {', '.join(allowed)}")


def _int_range(cfg: TrainConfig, name: str, lo: int, hi: int | None = None) -> None:
    v = getattr(cfg, name)
    allowed = f"an integer from {lo} to {hi}" if hi is not None else f"an integer ≥ {lo}"
    if not _is_int(v) or v < lo or (hi is not None and v > hi):
        raise ConfigError(name, v, allowed)


def _float(cfg: TrainConfig, name: str, lo: float | None = None, hi: float | None = None,
           lo_open: bool = False, hi_open: bool = False) -> None:
    v = getattr(cfg, name)
    bad_lo = lo is not None and _is_number(v) and (v <= lo if lo_open else v < lo)
    bad_hi = hi is not None and _is_number(v) and (v >= hi if hi_open else v > hi)
    if not _is_number(v) or not math.isfinite(v) or bad_lo or bad_hi:
        parts = ([f"{'>' if lo_open else '≥'} {lo:g}"] if lo is not None else []) + \
                ([f"{'<' if hi_open else '≤'} {hi:g}"] if hi is not None else [])
        raise ConfigError(name, v, "a number " + " and ".join(parts) if parts else "a finite number")
