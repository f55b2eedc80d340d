"""Per-member losses (shape (M,)): summing them gives each member exactly its own gradient."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def member_loss(logits: torch.Tensor, y: torch.Tensor, kind: str) -> torch.Tensor:
    """Mean loss of each member. logits (M, n, C), y (M, n) → (M,).

    "mse" is ``nn.MSELoss()`` against one-hot targets, averaged over n·C entries as in the
    paper's code; expanded as Σ(out²) − 2·out[y] + 1 to avoid building the one-hot matrix.
    """
    m, n, c = logits.shape
    if kind == "mse":
        picked = logits.gather(2, y.unsqueeze(2)).squeeze(2)
        return (logits.pow(2).sum(dim=(1, 2)) - 2 * picked.sum(dim=1) + n) / (n * c)
    if kind == "ce":
        return F.cross_entropy(logits.reshape(m * n, c), y.reshape(m * n), reduction="none").view(m, n).mean(1)
    return margin_loss(logits[..., 1] - logits[..., 0], y, kind).mean(1)


def margin_loss(h: torch.Tensor, y: torch.Tensor, kind: str) -> torch.Tensor:
    """Per-example g(s·h) of the margin h (two classes, s = 2y − 1 = ±1), the losses of the RAF
    theory (``theory.losses``): square ½(1 − sh)², logistic log(1 + e^{−sh}), hinge max(0, 1 − sh)."""
    z = (2 * y - 1).to(h.dtype) * h
    if kind == "square":
        return 0.5 * (1 - z) ** 2
    if kind == "logistic":
        return F.softplus(-z)
    if kind == "hinge":
        return F.relu(1 - z)
    raise ValueError(f"unknown loss {kind!r}")


def penalty(params: list[torch.Tensor], l1: torch.Tensor | None, l2: torch.Tensor | None) -> torch.Tensor:
    """Coupled penalties l1·||w||₁ + l2/2·||w||² per member (added to the loss, unlike AdamW's
    decoupled decay). ``l1``/``l2``: per-member coefficients (M,), or None where every member's is
    0 (decided once, on the host: testing the tensor each step would read it back from the GPU)."""
    total = torch.zeros(params[0].shape[0], device=params[0].device)
    for p in params:
        flat = p.reshape(p.shape[0], -1)
        if l1 is not None:
            total = total + l1 * flat.abs().sum(1)
        if l2 is not None:
            total = total + 0.5 * l2 * flat.pow(2).sum(1)
    return total


@torch.no_grad()
def penalty_grads(params: list[torch.Tensor], l1: torch.Tensor | None, l2: torch.Tensor | None) -> None:
    """Add the gradient of ``penalty`` to each ``p.grad`` in place: l1·sign(w) + l2·w per member
    (sign(0) = 0, autograd's subgradient of |w|), for the hand-written backward."""
    for p in params:
        if p.grad is None:
            continue
        shape = (-1,) + (1,) * (p.dim() - 1)
        if l1 is not None:
            p.grad.add_(torch.sign(p) * l1.view(shape))
        if l2 is not None:
            p.grad.add_(p * l2.view(shape))
