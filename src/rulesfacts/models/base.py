"""The interface every ensemble model gives the trainer, the analysis and the reports.

A model holds M independent networks (the leading axis of every parameter) and computes all of
them in one batched call. The trainer uses only what is declared here; a new model subclasses
``EnsembleModel`` and implements the abstract methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from rulesfacts.models.handwritten import HandWrittenPath

if TYPE_CHECKING:
    from rulesfacts.config.train import TrainConfig

#: an array's shape, None for a size a reader cannot know without the data (``member_shapes``)
Shape = tuple[int | None, ...]


class EnsembleModel(nn.Module):
    """Base class of the ensemble models (``EnsembleMLP``, ``EnsembleTransformer``)."""

    #: whether ``forward`` takes dropout masks (the trainer draws them only then)
    uses_dropout: bool = False

    @property
    def n_members(self) -> int:
        raise NotImplementedError

    @classmethod
    def member_shapes(cls, cfg: TrainConfig, n_in: int | None, n_out: int | None) -> dict[str, Shape]:
        """One member's weights (the arrays of ``member_weights``, the run folder's weights.npz and
        snapshots) by name, with their shapes for ``cfg``, ``n_in`` inputs (the split's token count
        for token inputs, else its feature count) and ``n_out`` classes. A size that follows from
        ``n_in`` or ``n_out`` is None when that is None (a reader that has not drawn the data). One
        declaration: the model's init draws these shapes and ``training.rundir.read_weights``
        checks a file against them."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, masks: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (M, n, n_out) of inputs ``x`` (M, n, ...); ``masks``: dropout keep-masks."""
        raise NotImplementedError

    def member_weights(self, i: int) -> dict[str, np.ndarray]:
        """Member i's weights by name, as float32 NumPy arrays (the run folder's ``weights.npz``)."""
        raise NotImplementedError

    def load_member_weights(self, i: int, weights: dict[str, np.ndarray]) -> None:
        """Inverse of ``member_weights``."""
        raise NotImplementedError

    def weight_norms(self) -> torch.Tensor:
        """(M, 2): squared norms of the input-side and output-side weights per member (the
        ``norm_in`` and ``norm_out`` columns of a run's metrics)."""
        raise NotImplementedError

    def hand_written(self) -> HandWrittenPath | None:
        """The hand-written training path when this model's graph has one, else None (autograd)."""
        return None

    def convex(self) -> bool:
        """True for a model whose training is a convex problem in a readout over a fixed design
        (``models.linear``): the trainer then fits it to convergence (``training.steps.ConvexStep``)."""
        return False

    def configure_path(self, kernels: object = None, block_elems: int = 0) -> None:
        """Set up the hand-written path (compiled kernels, block size); no-op without one."""

    def train_flops(self, n_train: int) -> float:
        """Floating-point operations of one full-batch training epoch of every member over
        ``n_train`` examples (forward and backward), counting multiply and add as two: the useful
        work a benchmark divides by (``rulesfacts.bench``)."""
        raise NotImplementedError

    def eval_flops(self, n: int) -> float:
        """Floating-point operations of one forward pass of every member over ``n`` examples (the
        log pass's test set), counted as in ``train_flops``."""
        raise NotImplementedError


class StackedModel(EnsembleModel):
    """An ensemble model whose parameters are named tensors with the member axis first, held in
    ``self.params`` (set by ``stack_members``): member i's weights are the slices ``[i]``."""

    params: nn.ParameterDict

    def stack_members(self, inits: list[dict[str, torch.Tensor]]) -> None:
        """``self.params`` from each member's own parameters (``inits[m][name]``), stacked."""
        self.params = nn.ParameterDict({name: nn.Parameter(torch.stack([w[name] for w in inits]).contiguous())
                                        for name in inits[0]})

    @property
    def n_members(self) -> int:
        return next(iter(self.params.values())).shape[0]

    def member_weights(self, i: int) -> dict[str, np.ndarray]:
        return {k: v[i].detach().float().cpu().numpy() for k, v in self.params.items()}

    @torch.no_grad()
    def load_member_weights(self, i: int, weights: dict[str, np.ndarray]) -> None:
        for name, param in self.params.items():
            param[i].copy_(torch.as_tensor(np.asarray(weights[name], dtype=np.float32), device=param.device))


def squared_norms(params: list[torch.Tensor]) -> torch.Tensor:
    """Σ of squared entries per member (the leading axis) over ``params``: (M,)."""
    return sum(q.detach().float().pow(2).flatten(1).sum(1) for q in params)
