"""Models as *ensembles*: every parameter carries a leading member axis M, so M independent
networks train in one batched computation (``bmm`` instead of a Python loop over models)."""

from __future__ import annotations

import torch

from rulesfacts.config.train import TrainConfig
from rulesfacts.models.base import EnsembleModel
from rulesfacts.models.mlp import EnsembleMLP
from rulesfacts.tasks.base import Split


def build_model(cfgs: list[TrainConfig], split: Split, device: torch.device) -> EnsembleModel:
    """The ensemble model for configs that share an ``ensemble_key`` (shapes and graph)."""
    cfg = cfgs[0]
    if cfg.model == "mlp":
        return EnsembleMLP(cfgs, n_in=split.vocab or split.x_train.shape[1], n_out=split.n_classes,
                           tokens=split.vocab > 0).to(device)
    if cfg.model in ("linear", "rf"):
        from rulesfacts.models.linear import EnsembleLinear

        return EnsembleLinear(cfgs, n_in=split.x_train.shape[1]).to(device)
    if cfg.model == "transformer":
        from rulesfacts.models.transformer import EnsembleTransformer

        return EnsembleTransformer(cfgs, vocab=split.vocab, n_out=split.n_classes).to(device)
    if cfg.model == "tied":
        from rulesfacts.models.tied import EnsembleTied

        return EnsembleTied(cfgs, vocab=split.vocab, n_out=split.n_classes).to(device)
    raise AssertionError(cfg.model)


__all__ = ["EnsembleMLP", "EnsembleModel", "build_model"]
