"""Accuracy and loss on each subset of the corrupted training set, per member.

- ``clean``: training examples with the rule's label;
- ``facts_memorized``: facts predicted with their corrupted (trained) label;
- ``facts_recovered``: facts predicted with the rule's true label (the net "inverted" them);
- ``train``: all training examples against their trained label; ``test``: held-out pairs.
A subset that is empty (no facts at ξ = 0) gives None, never a made-up number.
"""

from __future__ import annotations

import math

import torch

from rulesfacts.training.losses import margin_loss, member_loss

METRIC_NAMES = (
    "train_loss", "train_acc", "clean_loss", "clean_acc", "facts_loss", "facts_memorized",
    "facts_recovered", "test_loss", "test_acc",
)


@torch.no_grad()
def subset_metrics(logits_train: torch.Tensor, y_train: torch.Tensor, y_train_true: torch.Tensor,
                   is_fact: torch.Tensor, logits_test: torch.Tensor, y_test: torch.Tensor,
                   loss: str) -> list[dict[str, float | None]]:
    """One dict of metrics per member, from logits of shape (M, n, C)."""
    values = subset_metric_tensors(logits_train, y_train, y_train_true, is_fact, logits_test, y_test, loss)
    return member_rows(values)


@torch.no_grad()
def subset_metric_tensors(logits_train: torch.Tensor, y_train: torch.Tensor, y_train_true: torch.Tensor,
                          is_fact: torch.Tensor, logits_test: torch.Tensor, y_test: torch.Tensor,
                          loss: str) -> dict[str, torch.Tensor]:
    """``subset_metrics`` as (M,) tensors by name, left on the logits' device (NaN: empty subset)."""
    pred = logits_train.max(-1).indices  # the first maximum, as argmax; 1.3x faster here
    ok = (pred == y_train).float()
    ok_true = (pred == y_train_true).float()
    fact = is_fact.float()
    clean = 1.0 - fact
    # per-example losses, to average over subsets
    per_ex = _per_example_loss(logits_train, y_train, loss)
    return {
        "train_loss": per_ex.mean(1),
        "train_acc": ok.mean(1),
        "clean_loss": _masked_mean(per_ex, clean),
        "clean_acc": _masked_mean(ok, clean),
        "facts_loss": _masked_mean(per_ex, fact),
        "facts_memorized": _masked_mean(ok, fact),
        "facts_recovered": _masked_mean(ok_true, fact),
        "test_loss": member_loss(logits_test.float(), y_test, loss),
        "test_acc": (logits_test.max(-1).indices == y_test).float().mean(1),
    }


def member_rows(values: dict[str, torch.Tensor]) -> list[dict[str, float | None]]:
    """(M,) tensors by name → one dict per member, NaN as None. The tensors come to the host in
    one transfer (``tolist`` of their stack): on a GPU that is the one wait for the device."""
    names = list(values)
    cols = torch.stack([values[k].double() for k in names]).tolist()
    return [{k: _clean(col[i]) for k, col in zip(names, cols, strict=True)} for i in range(len(cols[0]))]


def _per_example_loss(logits: torch.Tensor, y: torch.Tensor, kind: str) -> torch.Tensor:
    logits = logits.float()
    if kind == "mse":
        c = logits.shape[-1]
        picked = logits.gather(2, y.unsqueeze(2)).squeeze(2)
        return (logits.pow(2).sum(2) - 2 * picked + 1) / c
    if kind == "ce":
        return torch.nn.functional.cross_entropy(logits.transpose(1, 2), y, reduction="none")
    return margin_loss(logits[..., 1] - logits[..., 0], y, kind)


def _masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    count = mask.sum(1)
    return torch.where(count > 0, (values * mask).sum(1) / count.clamp(min=1), torch.full_like(count, math.nan))


def _clean(v: float) -> float | None:
    return None if math.isnan(v) else v
