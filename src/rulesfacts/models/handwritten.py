"""The hand-written training path of the token-input MLP: forward and backward without autograd.

Per member, with z = x W_in^T (the sum of two gathered rows of W_in for one-hot(a) ⊕ one-hot(b)),
h = act(z), out = h W_out^T:

    g = ∂L/∂out          2(out − e_y)/(nC) for MSE (``nn.MSELoss`` mean), (softmax − e_y)/n for CE
    ∂L/∂W_out^T = hᵀg
    ∂L/∂z = (g W_out) ⊙ act'(z)
    ∂L/∂W_in rows        scatter-add of ∂L/∂z at the two token rows (the transpose of the gather)

Work runs block by block (``BLOCK_ELEMS`` activations of M × rows × N), so a block's z, h and ∂L/∂h
stay in a core's cache; the gather's transpose is a cached sparse matrix when the rows never change
(full batch). For small p the class dimension is padded with zero columns (``PAD_CLASSES_BELOW``),
whose GEMM shapes MKL runs much faster. With compiled kernels (``models/fused.py``) each block is one
compiled call of the same math. Tests check the path against autograd to float tolerance.

The path applies to token inputs without dropout, BatchNorm or biases (``HandWrittenPath.applies``);
everything else trains through autograd.
"""

from __future__ import annotations

import math
import warnings
from typing import Protocol

import torch
import torch.nn.functional as F

# Elements of one (members × rows × N) activation block. 2**19 floats = 2 MB, the L2 cache of one
# core here: measured fastest among 2**17..2**23 (benchmarks/RESULTS.md). The compiled path stores
# neither z nor work buffers, only h and ∂L/∂h, and pays a fixed cost per call: its blocks are twice
# as large. Measured against 2**19 in six runs (1 thread, benchmarks/RESULTS.md): epochs at p = 97
# ×1.01-1.07 faster in float32 and ×1.01-1.11 in bfloat16; at p = 23, M = 64 within the noise.
BLOCK_ELEMS = 2**19
# ``block_elems`` that asks for no blocking at all: every member and row in one block, so each of
# the step's GEMMs is one batched call over the whole ensemble (the GPU layout: a GPU's cache is
# no reason to cut the work, and each extra block costs kernel launches; ``steps.DeviceStep``).
ONE_BLOCK = 0
ACTIVATIONS = ("quadratic", "relu", "gelu")
# Below this many classes the GEMMs' class dimension is padded to a multiple of 8: MKL's small
# batched GEMMs run 1.1-1.7x faster on such shapes (p = 13..61, e.g. p = 23 → 24 classes: 1.5x;
# benchmarks/bench_shapes.py). At p = 97 the gain is smaller (fp32 epochs ~1.1x, bf16 none) and the
# reference-size results were measured unpadded, so they are left as they are.
PAD_CLASSES_BELOW = 96


class TokenMLP(Protocol):
    """What the path reads of a model: the two weight matrices and the shapes."""

    w_in: torch.nn.Parameter  # (M, n_in, N)
    w_out: torch.nn.Parameter  # (M, N, n_out)
    n_in: int
    n_out: int
    act: str


class BlockKernels(Protocol):
    """Compiled block functions (``models.fused.CompiledKernels``)."""

    def block_grads(self, w_block: torch.Tensor, w_out: torch.Tensor, rows: torch.Tensor, y: torch.Tensor,
                    logits: torch.Tensor | None, loss: str, scale: float, act: str, dtype: torch.dtype,
                    padded: int) -> tuple[torch.Tensor, torch.Tensor]: ...

    def block_logits(self, w_block: torch.Tensor, w_out: torch.Tensor, rows: torch.Tensor,
                     act: str) -> torch.Tensor: ...


# -- the math, as functions (shared with models/fused.py) -------------------------------------------
def activation(name: str, z: torch.Tensor) -> torch.Tensor:
    if name == "quadratic":
        return z * z
    if name == "relu":
        return F.relu(z)
    if name == "gelu":
        return F.gelu(z)
    raise ValueError(f"unknown activation {name!r}")


def activation_into(name: str, z: torch.Tensor, out: torch.Tensor) -> None:
    """act(z) written into ``out`` (possibly bfloat16): no new tensor per block."""
    if name == "quadratic":
        torch.mul(z, z, out=out)
    else:
        out.copy_(activation(name, z))


def activation_backward(name: str, grad_h: torch.Tensor, z: torch.Tensor,
                        scratch: torch.Tensor) -> tuple[torch.Tensor, float]:
    """(t, α) with ∂L/∂z = α·t: α·t = 2z ⊙ ∂L/∂h (quadratic; the 2 goes into the scatter-add's
    alpha), 1[z > 0] ⊙ ∂L/∂h (relu), (Φ(z) + zφ(z)) ⊙ ∂L/∂h (GELU, aten's kernel). ``grad_h`` is a
    work buffer and may be overwritten."""
    if name == "quadratic":
        if grad_h.dtype == torch.float32:
            return grad_h.mul_(z), 2.0
        return torch.mul(grad_h, z, out=scratch), 2.0
    if name == "relu":
        return torch.ops.aten.threshold_backward(grad_h.float(), z, 0.0), 1.0
    if name == "gelu":
        return torch.ops.aten.gelu_backward(grad_h.float(), z), 1.0
    raise ValueError(f"unknown activation {name!r}")


def loss_scale(loss: str, n: int, c: int) -> float:
    """The factor of ∂(mean loss)/∂logits: 2/(nC) for ``nn.MSELoss`` (mean over n·C), 1/n for CE."""
    return 2.0 / (n * c) if loss == "mse" else 1.0 / n


def output_grad(out: torch.Tensor, y: torch.Tensor, loss: str, scale: float, c: int,
                inplace: bool = False) -> torch.Tensor:
    """∂(mean loss)/∂out without building the one-hot target (MSE: 2(out − e_y)/(nC); CE:
    (softmax − e_y)/n). Columns from ``c`` on are padding: their gradient is 0. ``inplace``: MSE
    writes the gradient over ``out``."""
    if loss == "mse":
        g = out.mul_(scale) if inplace else out * scale  # padding columns: 0 logits, 0 gradient
    elif out.shape[2] == c:
        g = torch.softmax(out, dim=-1).mul_(scale)
    else:
        g = torch.zeros_like(out)
        g[..., :c] = torch.softmax(out[..., :c], dim=-1).mul_(scale)
    g.scatter_add_(2, y.unsqueeze(2), torch.full(y.unsqueeze(2).shape, -scale, device=g.device, dtype=g.dtype))
    return g


def padded_classes(c: int) -> int:
    """The GEMMs' class count: ``c`` rounded up to a multiple of 8 below ``PAD_CLASSES_BELOW``."""
    return c if c >= PAD_CLASSES_BELOW else c + -c % 8


def pad_classes(w_out: torch.Tensor) -> torch.Tensor:
    """``w_out`` (M, N, C) with zero columns up to ``padded_classes(C)`` (faster GEMMs). A zero
    column's logit is 0 and, under MSE, so is its gradient."""
    c = w_out.shape[2]
    return w_out if padded_classes(c) == c else F.pad(w_out, (0, padded_classes(c) - c))


def gather_sum(w_flat: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """x W_in^T for one-hot(a) ⊕ one-hot(b): the sum of the token rows ``rows`` (k, r, 2) of
    ``w_flat`` (rows, N), in one ``embedding_bag`` kernel → (k, r, N)."""
    k, r, t = rows.shape
    return F.embedding_bag(rows.reshape(k * r, t), w_flat, mode="sum").view(k, r, -1)


def blocks(m: int, n: int, width: int, elems: int = BLOCK_ELEMS) -> list[tuple[slice, slice]]:
    """(members, rows) blocks of about ``elems`` activations: whole members when several fit, else
    row ranges of one member; ``elems`` = ``ONE_BLOCK``: one block of everything. Every (member,
    row) is in exactly one block."""
    if elems <= ONE_BLOCK:
        return [(slice(0, m), slice(None))]
    per_member = n * width
    if per_member <= elems:
        k = max(1, elems // per_member)
        k = -(-m // -(-m // k))  # equal blocks: 64 members by 31 → 22, 22, 20 rather than 31, 31, 2
        return [(slice(i, min(i + k, m)), slice(None)) for i in range(0, m, k)]
    n_blocks = -(-per_member // elems)
    step = -(-n // n_blocks)
    return [(slice(i, i + 1), slice(j, min(j + step, n))) for i in range(m) for j in range(0, n, step)]


def token_rows(x: torch.Tensor, n_in: int) -> torch.Tensor:
    """Token ids (M, n, 2) → row numbers in ``w_in`` flattened to (M·n_in, N)."""
    m = x.shape[0]
    return x + (torch.arange(m, device=x.device) * n_in).view(m, 1, 1)


# -- the path --------------------------------------------------------------------------------------
class HandWrittenPath:
    """Blocked logits and hand-written gradients of one token-input ensemble MLP.

    Holds what the path caches between calls: the gather's transpose as sparse matrices (full
    batch), reusable work buffers, and optional compiled kernels (``models.fused.CompiledKernels``).
    """

    def __init__(self, model: TokenMLP, kernels: BlockKernels | None = None, block_elems: int = BLOCK_ELEMS):
        self.model = model
        self.kernels = kernels
        self.block_elems = block_elems
        self.scatter_cache: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}
        self.workspace: dict[tuple[str, torch.dtype], torch.Tensor] = {}

    def block_layout(self, m: int, n: int, width: int) -> list[tuple[slice, slice]]:
        """The activation blocks: ``block_elems`` activations eager, twice as many compiled."""
        return blocks(m, n, width, self.block_elems if self.kernels is None else 2 * self.block_elems)

    def rows(self, x: torch.Tensor) -> torch.Tensor:
        return token_rows(x, self.model.n_in)

    @torch.no_grad()
    def logits(self, x: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (M, n, n_out) of token inputs, block by block. Under ``torch.autocast`` the
        matmuls run in its dtype, as in the model's ``forward``."""
        model = self.model
        rows = self.rows(x) if rows is None else rows
        m, n = rows.shape[:2]
        width = model.w_in.shape[2]
        w_flat = model.w_in.detach().reshape(m * model.n_in, width)
        w_out = pad_classes(model.w_out.detach())
        out = torch.empty(m, n, model.n_out, device=rows.device)
        for ms, rs in self.block_layout(m, n, width):
            if self.kernels is not None:  # the same, one compiled call (models/fused.py)
                w_block, local = self.block_rows(w_flat, rows, ms, rs)
                out[ms, rs] = self.kernels.block_logits(w_block, w_out[ms], local, model.act)[..., :model.n_out]
                continue
            h = activation(model.act, gather_sum(w_flat, rows[ms, rs]))
            out[ms, rs] = torch.bmm(h, w_out[ms])[..., :model.n_out]
        return out

    @torch.no_grad()
    def grads(self, rows: torch.Tensor, y: torch.Tensor, loss: str, *, logits: torch.Tensor | None = None,
              bf16: bool = False, static_rows: bool = False) -> None:
        """Set ``w_in.grad`` and ``w_out.grad`` to the gradient of Σ_members mean-loss.

        ``logits``: the outputs at the current weights if already known (the trainer's log pass),
        which saves the forward matmul. ``bf16``: matmuls in bfloat16 (as autocast), everything else
        float32. ``static_rows``: ``rows`` is the same tensor every call (full batch), so the
        scatter's sparse matrices are cached.
        """
        model = self.model
        m, n = y.shape
        c, width = model.n_out, model.w_in.shape[2]
        mm = torch.bfloat16 if bf16 else torch.float32
        if self.kernels is not None:
            self._compiled_grads(rows, y, loss, logits, mm)
            return
        w_flat = model.w_in.detach().reshape(m * model.n_in, width)
        w_out = pad_classes(model.w_out.detach()).to(mm)  # (M, N, C'), C' ≥ C: zero columns
        cp = w_out.shape[2]
        w_out_t = w_out.transpose(1, 2).contiguous()  # (M, C', N): ∂h = g W_out as a plain bmm
        grad_in = torch.zeros_like(w_flat)
        grad_out = torch.zeros(m, width, cp, device=w_flat.device)
        scale = loss_scale(loss, n, c)
        for ms, rs in self.block_layout(m, n, width):
            r = rows[ms, rs]
            k, nr = r.shape[:2]
            z = gather_sum(w_flat, r)
            h = self._scratch("h", (k, nr, width), mm)
            activation_into(model.act, z, h)
            if logits is not None:
                out = F.pad(logits[ms, rs], (0, cp - c))
            else:
                out = torch.bmm(h, w_out[ms], out=self._scratch("out", (k, nr, cp), mm))
            # the gradient may overwrite our own scratch logits, never the caller's cached ones
            g = output_grad(out.float(), y[ms, rs], loss, scale, c, inplace=logits is None).to(mm)
            if bf16:
                grad_out[ms] += torch.bmm(h.transpose(1, 2), g)
            else:
                grad_out[ms].baddbmm_(h.transpose(1, 2), g)
            grad_h = torch.bmm(g, w_out_t[ms], out=self._scratch("grad_h", (k, nr, width), mm))
            grad_z, alpha = activation_backward(model.act, grad_h, z, self._scratch("grad_z", (k, nr, width)))
            grad_z = grad_z.view(k * nr, width)
            if static_rows:  # the transpose of the gather as a cached sparse matrix: one MKL spmm
                first = (ms.start or 0) * model.n_in
                grad_in[first:first + k * model.n_in].add_(self._scatter_matrix(rows, ms, rs) @ grad_z, alpha=alpha)
            else:
                grad_in.index_add_(0, r[..., 0].reshape(-1), grad_z, alpha=alpha)
                grad_in.index_add_(0, r[..., 1].reshape(-1), grad_z, alpha=alpha)
        model.w_in.grad = grad_in.view_as(model.w_in)
        model.w_out.grad = grad_out if cp == c else grad_out[..., :c].contiguous()

    def _compiled_grads(self, rows: torch.Tensor, y: torch.Tensor, loss: str, logits: torch.Tensor | None,
                        mm: torch.dtype) -> None:
        """``grads`` with each block's work as one compiled call (``fused.block_grads``)."""
        model = self.model
        m, n = y.shape
        w_flat = model.w_in.detach().reshape(m * model.n_in, -1)
        w_out = model.w_out.detach()
        grad_in, grad_out = torch.zeros_like(w_flat), torch.zeros_like(w_out)
        scale = loss_scale(loss, n, model.n_out)
        padded = padded_classes(model.n_out)
        for ms, rs in self.block_layout(m, n, w_flat.shape[1]):
            w_block, local = self.block_rows(w_flat, rows, ms, rs)
            g_in, g_out = self.kernels.block_grads(w_block, w_out[ms], local, y[ms, rs],
                                                   None if logits is None else logits[ms, rs], loss, scale,
                                                   model.act, mm, padded)
            grad_in[ms.start * model.n_in:ms.stop * model.n_in] += g_in
            grad_out[ms] += g_out
        model.w_in.grad, model.w_out.grad = grad_in.view_as(model.w_in), grad_out

    def block_rows(self, w_flat: torch.Tensor, rows: torch.Tensor, ms: slice,
                   rs: slice) -> tuple[torch.Tensor, torch.Tensor]:
        """The ``w_in`` rows of block (ms, rs)'s members, and its token rows numbered within them."""
        n_in = self.model.n_in
        return w_flat[ms.start * n_in:ms.stop * n_in], rows[ms, rs] - ms.start * n_in

    def _scatter_matrix(self, rows: torch.Tensor, ms: slice, rs: slice) -> torch.Tensor:
        """Sparse CSR (k·n_in, k·n_rows) with a 1 at (token row, example) of block (ms, rs): its
        product with ∂L/∂z is the scatter-add of the gather's backward (measured 2-7× faster than
        ``index_add_`` here). Built once per block while ``rows`` stays the same tensor."""
        cache = self.scatter_cache
        n_in = self.model.n_in
        key = (ms.start, ms.stop, rs.start, rs.stop)
        hit = cache.get(key)
        if hit is not None and hit[0] is rows:
            return hit[1]
        r = rows[ms, rs]
        k, nr, t = r.shape
        local = (r - (ms.start or 0) * n_in).reshape(-1)
        cols = torch.arange(k * nr, device=r.device).repeat_interleave(t)
        with warnings.catch_warnings():  # "sparse CSR support is in beta": only the stable spmm is used
            warnings.simplefilter("ignore", UserWarning)
            a = torch.sparse_coo_tensor(torch.stack([local, cols]), torch.ones(local.numel(), device=r.device),
                                        (k * n_in, k * nr)).coalesce().to_sparse_csr()
        if hit is not None and hit[0] is not rows:
            cache.clear()
        cache[key] = (rows, a)
        return a

    def _scratch(self, name: str, shape: tuple[int, ...], dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """A reusable work buffer: fresh multi-MB tensors every block cost page faults (measured
        2-3× on elementwise ops here), so the blocks' activations live in kept buffers."""
        ws = self.workspace
        numel = math.prod(shape)
        device = self.model.w_in.device
        buf = ws.get((name, dtype))
        if buf is None or buf.numel() < numel or buf.device != device:
            buf = ws[(name, dtype)] = torch.empty(numel, dtype=dtype, device=device)
        return buf[:numel].view(shape)
