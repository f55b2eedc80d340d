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


class ConvexStep(StepPath):
    """A convex readout (``models.linear``) fitted to convergence: each step is one L-BFGS iteration
    (Nocedal & Wright 2006, Alg. 7.4 and 7.5; backtracking Armijo line search) of every member at
    once, batched over the member axis, in float64, on Σ_μ g(s_μ h_μ) + λ/2‖a‖², h = Z a: the
    objective of the RAF theory (``theory.simulate``). Each member has its own step length and
    curvature history, so its fit does not depend on its ensemble. The design Z of the training
    set is computed once. A member whose gradient is below ``gtol``·(1 + ‖Zᵀs‖_∞) (max norm) stops
    moving. Full batch only (minibatches would change the objective)."""

    name = "convex"

    def __init__(self, gtol: float = 1e-9, history: int = 20):
        super().__init__(compiled=False)
        self.gtol, self.history = gtol, history
        self.z: torch.Tensor | None = None  # (M, n, D)
        self.s = self.lam = self.tol = torch.empty(0)
        self.pairs: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []  # (s_k, y_k, ρ_k)

    def prepare(self, trainer: Trainer) -> None:
        model = trainer.model
        if not model.convex():
            raise ValueError("the convex step fits linear readouts (model linear or rf); use AutogradStep")
        model.pin(trainer.data.x_train)
        model.pin(trainer.data.x_test)

    def value_and_grad(self, a: torch.Tensor, loss: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Objective (M,) and gradient (M, D): Zᵀ(s∘g'(s∘Za)) + λa."""
        z = self.s * torch.bmm(self.z, a.unsqueeze(2)).squeeze(2)
        if loss == "square":
            value, slope = 0.5 * (1 - z) ** 2, z - 1
        elif loss == "logistic":
            value, slope = torch.nn.functional.softplus(-z), -torch.sigmoid(-z)
        else:  # hinge: a subgradient where z = 1
            value, slope = torch.relu(1 - z), -(z < 1).to(z.dtype)
        grad = torch.bmm((self.s * slope).unsqueeze(1), self.z).squeeze(1) + self.lam[:, None] * a
        return value.sum(1) + 0.5 * self.lam * (a * a).sum(1), grad

    def direction(self, g: torch.Tensor) -> torch.Tensor:
        """−H g by the two-loop recursion, per member (pairs with ρ = 0 drop out)."""
        q, alphas = g.clone(), []
        for s, y, rho in reversed(self.pairs):
            al = rho * (s * q).sum(1)
            q -= al[:, None] * y
            alphas.append(al)
        if self.pairs:
            s, y, rho = self.pairs[-1]
            yy = (y * y).sum(1)
            q *= torch.where((rho > 0) & (yy > 0), (s * y).sum(1) / yy.clamp(min=1e-300), 1.0)[:, None]
        for (s, y, rho), al in zip(self.pairs, reversed(alphas), strict=True):
            q += (al - rho * (y * q).sum(1))[:, None] * s
        return -q

    @torch.no_grad()
    def step(self, trainer: Trainer, x: torch.Tensor, y: torch.Tensor, full_batch: bool) -> None:
        if not full_batch:
            raise ValueError("the convex step is full batch (batch_size 0)")
        loss, model = trainer.cfg.loss, trainer.model
        if self.z is None:
            self.z = model.design(trainer.data.x_train)
            self.s = (2 * trainer.data.y_train - 1).to(torch.float64)
            self.lam = torch.tensor([c.effective_lam for c in trainer.cfgs], dtype=torch.float64,
                                    device=self.z.device)
            scale = torch.bmm(self.s.unsqueeze(1), self.z).squeeze(1).abs().amax(1)
            self.tol = self.gtol * (1 + scale)
        a = model.a.detach().clone()
        f, g = self.value_and_grad(a, loss)
        active = g.abs().amax(1) > self.tol
        if not bool(active.any()):
            return
        d = self.direction(g) * active[:, None]
        slope = (g * d).sum(1)
        bad = slope >= 0  # not a descent direction (numerical): restart that member on −g
        d = torch.where(bad[:, None], -g * active[:, None], d)
        slope = (g * d).sum(1)
        t = self.first_step(g)
        # f is a sum of ~n terms: its rounding, ~1e-13·|f| here, hides decreases near the optimum,
        # so the test allows it (else the last iterations would halve t to nothing)
        slack = 1e-12 * (1 + f.abs())
        for _ in range(60):  # Armijo: f(a + t d) ≤ f + 1e-4·t·∇f·d, halving t where it fails
            f_new, g_new = self.value_and_grad(a + t[:, None] * d, loss)
            fail = active & (f_new > f + 1e-4 * t * slope + slack)
            if not bool(fail.any()):
                break
            t = torch.where(fail, t / 2, t)
        step = t[:, None] * d * active[:, None]
        ydiff = g_new - g
        sy = (step * ydiff).sum(1)
        rho = torch.where(active & (sy > 1e-12 * (ydiff * ydiff).sum(1).sqrt() * step.norm(dim=1)),
                          1.0 / sy.clamp(min=1e-300), 0.0)
        self.pairs = [*self.pairs, (step, ydiff, rho)][-self.history:]
        model.a.copy_(a + step)

    def first_step(self, g: torch.Tensor) -> torch.Tensor:
        """Unit step once curvature pairs scale the direction; before, a step of length 1 in max norm."""
        if self.pairs:
            return torch.ones(g.shape[0], dtype=g.dtype, device=g.device)
        return 1.0 / g.abs().amax(1).clamp(min=1e-300)


def default_step(model: EnsembleModel, compiled: bool) -> StepPath:
    """The convex fit for linear readouts; else the hand-written path where the model has one,
    laid out by the device the model lives on (``DeviceStep`` on CUDA, ``HandWrittenStep`` on the
    CPU); else autograd; compiled or not as configured."""
    if model.convex():
        return ConvexStep()
    if model.hand_written() is None:
        return AutogradStep(compiled)
    on_cuda = next(model.parameters()).device.type == "cuda"
    return DeviceStep(compiled) if on_cuda else HandWrittenStep(compiled)
