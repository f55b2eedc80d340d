"""How one optimizer step is computed: the hand-written path (laid out for a CPU core's cache or
for a GPU) or autograd, eager or compiled.

The trainer takes a ``StepPath`` as an explicit argument (``Trainer(cfgs, step=...)``); by default
``default_step`` picks the hand-written path wherever the model's graph has one (token-input MLPs
without dropout, BatchNorm or bias: ``EnsembleModel.hand_written()``), in its GPU layout
(``DeviceStep``) when the model lives on a CUDA device, and autograd everywhere else. All compute
the same gradients (tests compare them to float tolerance); benchmarks pass ``AutogradStep()`` or
``DeviceStep()`` to measure what each buys.

No path reads anything back from the device during a step (no ``.item()``, no ``bool`` of a
tensor, no fresh host-to-device copies): on a GPU the host queues epoch after epoch and waits
only in the trainer's log pass (tests check this by recording every such call).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from rulesfacts.models.base import EnsembleModel
from rulesfacts.models.fused import CompiledKernels
from rulesfacts.models.handwritten import BLOCK_ELEMS, ONE_BLOCK
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


class DeviceStep(HandWrittenStep):
    """The hand-written path laid out for a GPU: the whole ensemble is one block
    (``handwritten.ONE_BLOCK``), so each of the step's GEMMs is one batched call over every member
    and row. The CPU layout cuts the work into blocks that fit a core's cache; on a GPU those
    blocks only multiply kernel launches (with them, throughput stopped growing at 8 members on an
    H200; docs/performance.md).

    ``compiled``: the block as one compiled graph (``models/fused.py``). ``cuda_graph``: full-batch
    steps captured once as a CUDA graph (after a few eager steps) and replayed, one launch per
    epoch instead of some thirty; needs a CUDA device and the fused AdamW. The matmul precision
    follows the config's ``dtype`` as on every path (``bfloat16``; ``tfloat32``: TF32 tensor cores,
    set by the trainer for each epoch and log pass). All off by default: what each buys is
    measured by ``scripts/gpu_check.sh``, not assumed.

    It runs on the CPU too (pass it explicitly): the same math as ``HandWrittenStep`` with other
    block boundaries, so the same numbers to float tolerance (tests/training/test_device_step.py).
    """

    name = "device"
    WARMUP_STEPS = 3  # eager steps (on a side stream) before a capture, as CUDA graphs require

    def __init__(self, compiled: bool = False, cuda_graph: bool = False):
        super().__init__(compiled, block_elems=ONE_BLOCK)
        self.cuda_graph = cuda_graph
        self.graph: torch.cuda.CUDAGraph | None = None
        self.eager_steps = 0

    def prepare(self, trainer: Trainer) -> None:
        if self.cuda_graph and (trainer.device.type != "cuda" or not trainer.opt.fused or self.compiled):
            raise ValueError("cuda_graph needs a CUDA device, the fused AdamW, and compiled=False")
        super().prepare(trainer)

    def step(self, trainer: Trainer, x: torch.Tensor, y: torch.Tensor, full_batch: bool) -> None:
        if self.cuda_graph and full_batch:
            self.graph_step(trainer, y)
        else:
            super().step(trainer, x, y, full_batch)

    def device_work(self, trainer: Trainer, y: torch.Tensor) -> None:
        """One full-batch step's device work, without the host's step count: what the graph holds.
        The scatter is ``index_add_`` (the cached sparse matrix is built outside any capture) and the
        forward is always computed (a replay cannot pick up the log pass's logits)."""
        trainer.opt.zero_grad()
        path = trainer.model.hand_written()
        path.grads(self.train_rows(trainer), y, trainer.cfg.loss, bf16=trainer.cfg.dtype == "bfloat16")
        if trainer.use_penalty:
            penalty_grads(trainer.opt.params, trainer.l1, trainer.l2)
        trainer.opt.update()

    def graph_step(self, trainer: Trainer, y: torch.Tensor) -> None:
        """A few eager steps on a side stream, then one capture (which records and computes
        nothing), then one replay per step, the capturing step's included."""
        self.logits_cache = None
        trainer.opt.t += 1
        if self.graph is None and self.eager_steps < self.WARMUP_STEPS:
            side, main = torch.cuda.Stream(), torch.cuda.current_stream()
            side.wait_stream(main)
            with torch.cuda.stream(side):
                self.device_work(trainer, y)
            main.wait_stream(side)
            self.eager_steps += 1
            return
        if self.graph is None:
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                self.device_work(trainer, y)
            self.graph = graph
        self.graph.replay()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(compiled={self.compiled}, cuda_graph={self.cuda_graph})"


def default_step(model: EnsembleModel, compiled: bool) -> StepPath:
    """The hand-written path where the model has one, laid out by the device the model lives on
    (``DeviceStep`` on CUDA, ``HandWrittenStep`` on the CPU), else autograd; compiled or not as
    configured."""
    if model.hand_written() is None:
        return AutogradStep(compiled)
    on_cuda = next(model.parameters()).device.type == "cuda"
    return DeviceStep(compiled) if on_cuda else HandWrittenStep(compiled)
