"""How one optimizer step is computed: the hand-written path or autograd, eager or compiled.

The trainer takes a ``StepPath`` as an explicit argument (``Trainer(cfgs, step=...)``); by default
``default_step`` picks the hand-written path wherever the model's graph has one (token-input MLPs
without dropout, BatchNorm or bias: ``EnsembleModel.hand_written()``) and autograd everywhere
else. Both compute the same gradients (tests compare them to float tolerance); benchmarks pass
``AutogradStep()`` to measure what the hand-written path buys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from rulesfacts.models.base import EnsembleModel
from rulesfacts.models.fused import CompiledKernels
from rulesfacts.models.handwritten import BLOCK_ELEMS
from rulesfacts.training.losses import member_loss, penalty, penalty_grads

if TYPE_CHECKING:
    from rulesfacts.training.trainer import Trainer


class StepPath:
    """One way to compute a training step and the log pass's train logits."""

    name = "base"

    def __init__(self, compiled: bool = False):
        self.compiled = compiled

    def prepare(self, trainer: Trainer) -> None:
        """Set the model up for this path (compiled graphs); called once, before the first step."""

    def step(self, trainer: Trainer, x: torch.Tensor, y: torch.Tensor, full_batch: bool) -> None:
        """One optimizer step of every member on inputs ``x`` (M, n, ...) and labels ``y`` (M, n)."""
        raise NotImplementedError

    def train_logits(self, trainer: Trainer) -> torch.Tensor:
        """Logits of the whole training set at the current weights (eval mode, no grad)."""
        return trainer.model(trainer.data.x_train)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(compiled={self.compiled})"



class AutogradStep(StepPath):
    """Forward, loss and ``backward()``: every model and option (dropout, BatchNorm, biases,
    minibatches, the transformer). ``compiled``: ``torch.compile`` of the model's forward, which
    fuses the graph's elementwise work (1.4-1.7x per epoch measured here, benchmarks/RESULTS.md)."""

    name = "autograd"

    def prepare(self, trainer: Trainer) -> None:
        if self.compiled:
            # a sweep worker trains ensembles one after another: drop the previous ensemble's graphs,
            # or dynamo's per-function recompile limit silently sends later ones to eager
            torch.compiler.reset()
            trainer.model.forward = torch.compile(trainer.model.forward, dynamic=False)

    def step(self, trainer: Trainer, x: torch.Tensor, y: torch.Tensor, full_batch: bool) -> None:
        trainer.opt.zero_grad()
        masks = trainer.dropout_masks(x.shape[1])
        with trainer.autocast():
            logits = trainer.model(x, masks)
        loss = member_loss(logits.float(), y, trainer.cfg.loss)
        if trainer.use_penalty:
            loss = loss + penalty(trainer.opt.params, trainer.l1, trainer.l2)
        loss.sum().backward()
        trainer.opt.step()


class HandWrittenStep(StepPath):
    """``models.handwritten.HandWrittenPath``: forward and backward by hand, block by block.
    ``compiled``: each block as one compiled graph (``models/fused.py``).

    Full batch, the step reuses the train logits of the log pass just before it (same weights),
    and the training tokens' row numbers, which never change."""

    name = "hand-written"

    def __init__(self, compiled: bool = False, block_elems: int = BLOCK_ELEMS):
        super().__init__(compiled)
        self.block_elems = block_elems  # activations per block (models/handwritten.py)
        self.logits_cache: tuple[int, torch.Tensor] | None = None  # (optimizer step, train logits)
        self.rows_cache: torch.Tensor | None = None

    def prepare(self, trainer: Trainer) -> None:
        model = trainer.model
        if model.hand_written() is None:
            raise ValueError("the hand-written step needs token inputs without dropout, BatchNorm or biases; "
                             "use AutogradStep")
        model.configure_path(CompiledKernels() if self.compiled else None, self.block_elems)

    def train_rows(self, trainer: Trainer) -> torch.Tensor:
        if self.rows_cache is None:
            self.rows_cache = trainer.model.hand_written().rows(trainer.data.x_train)
        return self.rows_cache

    def step(self, trainer: Trainer, x: torch.Tensor, y: torch.Tensor, full_batch: bool) -> None:
        trainer.opt.zero_grad()
        path = trainer.model.hand_written()
        cached = self.logits_cache
        logits = cached[1] if full_batch and cached is not None and cached[0] == trainer.opt.t else None
        self.logits_cache = None
        rows = self.train_rows(trainer) if full_batch else path.rows(x)
        path.grads(rows, y, trainer.cfg.loss, logits=logits, bf16=trainer.cfg.dtype == "bfloat16",
                   static_rows=full_batch)
        if trainer.use_penalty:
            penalty_grads(trainer.opt.params, trainer.l1, trainer.l2)
        trainer.opt.step()

    def train_logits(self, trainer: Trainer) -> torch.Tensor:
        logits = trainer.model.hand_written().logits(trainer.data.x_train, rows=self.train_rows(trainer))
        self.logits_cache = (trainer.opt.t, logits)  # reused by the next full-batch step
        return logits


def default_step(model: EnsembleModel, compiled: bool) -> StepPath:
    """The hand-written path where the model has one, else autograd; compiled or not as configured."""
    return HandWrittenStep(compiled) if model.hand_written() is not None else AutogradStep(compiled)
