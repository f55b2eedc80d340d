"""Data: each task turns a ``TrainConfig`` into a ``Split`` (train with its facts, and test)."""

from __future__ import annotations

from rulesfacts.config.train import TrainConfig
from rulesfacts.tasks.base import Split


def make_split(cfg: TrainConfig) -> Split:
    """The train/test split of ``cfg.task``, deterministic in ``cfg.effective_data_seed``."""
    if cfg.task == "modular":
        from rulesfacts.tasks.modular import modular_split

        return modular_split(cfg.p, cfg.op, cfg.train_frac, cfg.fact_frac, cfg.fact_mode, cfg.effective_data_seed)
    if cfg.task == "parity":
        from rulesfacts.tasks.parity import parity_split

        return parity_split(cfg.n_bits, cfg.k, cfg.train_size, cfg.test_size, cfg.fact_frac, cfg.effective_data_seed)
    raise AssertionError(cfg.task)  # the config checker rejects unknown tasks


__all__ = ["Split", "make_split"]
