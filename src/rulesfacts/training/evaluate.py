"""Evaluate given weights on a config's split: the one way analysis code (pruning, the analytic
network, reports) measures a network it did not just train."""

from __future__ import annotations

import numpy as np
import torch

from rulesfacts.config.train import TrainConfig
from rulesfacts.models import build_model
from rulesfacts.runtime import resolve_device
from rulesfacts.tasks import make_split
from rulesfacts.training.metrics import subset_metrics


@torch.no_grad()
def evaluate_many(cfg: TrainConfig, weights: list[dict[str, np.ndarray]]) -> list[dict[str, float | None]]:
    """Subset metrics (train/clean/facts/test) of several weight sets that share ``cfg``'s shapes
    and split, in one batched forward pass (e.g. every step of a pruning curve)."""
    device = resolve_device(cfg.device)
    split = make_split(cfg)
    model = build_model([cfg] * len(weights), split, device)
    for i, w in enumerate(weights):
        model.load_member_weights(i, w)
    model.eval()
    m = len(weights)

    def rep(a: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(a).to(device)
        t = t.float() if t.dtype == torch.float64 else t
        return t.unsqueeze(0).expand(m, *t.shape)

    x_train, x_test = rep(split.x_train), rep(split.x_test)
    return subset_metrics(model(x_train), rep(split.y_train), rep(split.y_train_true), rep(split.is_fact),
                          model(x_test), rep(split.y_test), cfg.loss)


def evaluate(cfg: TrainConfig, weights: dict[str, np.ndarray]) -> dict[str, float | None]:
    """Subset metrics of one weight set on ``cfg``'s split."""
    return evaluate_many(cfg, [weights])[0]
