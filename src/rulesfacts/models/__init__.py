"""Models as *ensembles*: every parameter carries a leading member axis M, so M independent
networks train in one batched computation (``bmm`` instead of a Python loop over models)."""

from __future__ import annotations

import torch

from rulesfacts.config.train import TrainConfig
from rulesfacts.models.base import EnsembleModel
from rulesfacts.models.linear import EnsembleLinear
from rulesfacts.models.mlp import EnsembleMLP
from rulesfacts.models.tied import EnsembleTied
from rulesfacts.models.transformer import EnsembleTransformer
from rulesfacts.tasks.base import Split

# the class of each value of TrainConfig.model
MODEL_CLASSES: dict[str, type[EnsembleModel]] = {"mlp": EnsembleMLP, "transformer": EnsembleTransformer,
                                                 "tied": EnsembleTied, "linear": EnsembleLinear, "rf": EnsembleLinear}


def build_model(cfgs: list[TrainConfig], split: Split, device: torch.device) -> EnsembleModel:
    """The ensemble model for configs that share an ``ensemble_key`` (shapes and graph)."""
    cfg = cfgs[0]
    cls = MODEL_CLASSES[cfg.model]
    if cls is EnsembleMLP:
        return EnsembleMLP(cfgs, n_in=split.vocab or split.x_train.shape[1], n_out=split.n_classes,
                           tokens=split.vocab > 0).to(device)
    if cls is EnsembleLinear:
        return EnsembleLinear(cfgs, n_in=split.x_train.shape[1]).to(device)
    return cls(cfgs, vocab=split.vocab, n_out=split.n_classes).to(device)


__all__ = ["MODEL_CLASSES", "EnsembleMLP", "EnsembleModel", "build_model"]
