"""The hand-written path's block work as pure functions, for ``torch.compile`` (config ``compile``).

An activation block of the hand-written path (``HandWrittenPath.grads``) is three GEMMs and three memory-bound passes
between them: the gather of two ``w_in`` rows and the activation (→ h), the loss gradient at the
logits (→ g), and the activation's backward with the scatter-add into ``w_in``'s gradient. Eager,
each pass is several kernels that write and re-read whole blocks (z, then h; ∂L/∂h ⊙ z, then the
scatter), each converting under bfloat16, and a block costs a dozen Python-level calls. Compiled
as one graph per block, each pass is one loop that keeps z in registers (it is recomputed in the
backward instead of stored) and converts on the fly, and the block is one call. That matters
most for small networks, where these passes and calls cost as much as the GEMMs, and under
bfloat16, whose eager elementwise kernels are slower than float32 ones on this CPU (measured:
docs/performance.md, item 8).

The math is ``HandWrittenPath.grads``'s loop body, with its helpers (``handwritten.activation``,
``handwritten.output_grad``, ``handwritten.activation_backward``); only the memory plan differs (no work
buffers, z recomputed, gᵀh for the output layer). Tests check both paths against autograd.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from rulesfacts.models import handwritten as hw


def gather_act(w_block: torch.Tensor, rows: torch.Tensor, act: str, dtype: torch.dtype) -> torch.Tensor:
    """act(W_in[a] + W_in[b]) for token rows ``rows`` (n, 2) local to ``w_block``, in ``dtype``."""
    return hw.activation(act, gather_sum_indexed(w_block, rows)).to(dtype)


def act_backward_scatter(w_block: torch.Tensor, rows: torch.Tensor, grad_h: torch.Tensor, act: str) -> torch.Tensor:
    """∂L/∂w_block: ∂L/∂z = act'(z) ⊙ ∂L/∂h, scatter-added at both token rows (z recomputed)."""
    z = gather_sum_indexed(w_block, rows)
    t, alpha = hw.activation_backward(act, grad_h.float(), z, torch.empty_like(z))
    width = w_block.shape[1]
    both = t.unsqueeze(1).expand(-1, 2, width).reshape(-1, width)  # one scatter over both rows
    return torch.zeros_like(w_block).index_add_(0, rows.reshape(-1), both, alpha=alpha)


def gather_sum_indexed(w_block: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """``handwritten.gather_sum`` for rows (n, 2), written as indexing: inductor fuses it into the
    loop that uses it, where the eager path's ``embedding_bag`` would stay an opaque kernel writing
    z to memory."""
    return w_block[rows[:, 0]] + w_block[rows[:, 1]]


def block_grads(w_block: torch.Tensor, w_out: torch.Tensor, rows: torch.Tensor, y: torch.Tensor,
                logits: torch.Tensor | None, loss: str, scale: float, act: str, dtype: torch.dtype,
                padded: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One activation block's share of (∂L/∂w_in rows (k·n_in, N), ∂L/∂w_out (k, N, C)): ``HandWrittenPath.grads``'s
    loop body. ``w_block``: the block's k members' ``w_in`` rows; ``w_out`` (k, N, C); ``rows`` (k, n, 2)
    numbered within ``w_block``; ``logits`` (k, n, C): the outputs at these weights if known (the
    log pass), else computed; ``padded``: the GEMMs' class count C' ≥ C (zero columns, see
    ``handwritten.PAD_CLASSES_BELOW``)."""
    k, n = y.shape
    width, c = w_block.shape[1], w_out.shape[2]
    wo = F.pad(w_out, (0, padded - c)).to(dtype)
    local = rows.reshape(k * n, 2)
    h = gather_act(w_block, local, act, dtype).view(k, n, width)
    out = torch.bmm(h, wo) if logits is None else F.pad(logits, (0, padded - c))
    g = hw.output_grad(out.float(), y, loss, scale, c).to(dtype)
    grad_out = torch.bmm(g.transpose(1, 2), h).float().transpose(1, 2)  # gᵀh: a faster layout than hᵀg
    grad_h = torch.bmm(g, wo.transpose(1, 2)).view(k * n, width)
    return act_backward_scatter(w_block, local, grad_h, act), grad_out[..., :c].contiguous()


def block_logits(w_block: torch.Tensor, w_out: torch.Tensor, rows: torch.Tensor, act: str) -> torch.Tensor:
    """One block's logits (k, n, C') in the GEMM dtype (float32, or autocast's), ``w_out`` (k, N, C') as
    padded: ``HandWrittenPath.logits``'s loop body."""
    k, n = rows.shape[:2]
    h = gather_act(w_block, rows.reshape(k * n, 2), act, torch.float32).view(k, n, -1)
    return torch.bmm(h, w_out)


class CompiledKernels:
    """``block_grads`` and ``block_logits``, compiled once per block shape (``dynamic=False``: a
    run's blocks come in one or two shapes, and specialised code runs fastest here). Per block, not
    per step: a step of M members at p = 97 is 5·M blocks, and one graph of them all compiled for
    minutes. Each instance compiles its own copies: dynamo keys its graphs and its recompile limit
    on a function's code object, so trainers that live side by side (a benchmark, a notebook) or
    one after another (a sweep worker) neither evict nor exhaust each other's."""

    def __init__(self) -> None:
        self.block_grads = _compiled_copy(block_grads)
        self.block_logits = _compiled_copy(block_logits)


def _compiled_copy(fn: Callable[..., Any]) -> Callable[..., Any]:
    own = types.FunctionType(fn.__code__.replace(), fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
    return torch.compile(own, dynamic=False)
