"""The two-layer network of Doshi et al. / Gromov, batched over an ensemble of M members.

Per member: h = act(x W_in^T) (optionally dropout and BatchNorm), out = h W_out^T, with
W_in ∈ R^{N×n_in} and W_out ∈ R^{n_out×N} as in the paper (no biases by default).

For token inputs (one-hot(a) ⊕ one-hot(b)), x W_in^T is the sum of two columns of W_in: we
gather them instead of multiplying by a one-hot matrix, which would cost 2p× more FLOPs.
Weights are stored transposed, ``w_in`` (M, n_in, N) and ``w_out`` (M, N, n_out), so both
layers are row gathers or ``baddbmm``/``bmm`` calls.

Training has a second, hand-written path (``manual_grads``): forward and backward of the
token-input network without autograd, block by block so the (n, N) activations of a block stay
in cache. It applies when there is no dropout, BatchNorm or bias (``supports_manual_grads``);
everything else takes the autograd path. Tests check the two agree to float tolerance. For
small p it pads the class dimension with zero columns (``PAD_CLASSES_BELOW``), whose GEMM shapes
MKL runs much faster. With ``compile = true`` each block runs as one compiled graph of the same
math (``models/fused.py``).
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rulesfacts.train.config import TrainConfig

if TYPE_CHECKING:
    from rulesfacts.models.fused import CompiledKernels

BN_EPS = 1e-5
BN_MOMENTUM = 0.1
# Elements of one (members × rows × N) activation block of the manual path. 2**19 floats = 2 MB,
# the L2 cache of one core here: measured fastest among 2**17..2**23 (benchmarks/RESULTS.md).
BLOCK_ELEMS = 2**19
# The compiled path (models/fused.py) stores neither z nor work buffers, only h and ∂L/∂h, and pays a
# fixed cost per call: its blocks are twice as large (``_block_layout``). Measured against 2**19
# in six runs (1 thread, benchmarks/RESULTS.md): epochs at p = 97 ×1.01-1.07 faster in float32 and
# ×1.01-1.11 in bfloat16; at p = 23, M = 64 within the noise. Eager, larger blocks are slower.
MANUAL_ACTS = ("quadratic", "relu", "gelu")
# The hand-written path pads the class dimension to a multiple of 8 below this many classes: MKL's
# small batched GEMMs run 1.1-1.7x faster on such shapes (p = 13..61, e.g. p = 23 → 24 classes:
# 1.5x; benchmarks/bench_shapes.py). At p = 97 the gain is smaller (fp32 epochs ~1.1x, bf16 none)
# and the reference-size results were measured unpadded, so they are left as they are.
PAD_CLASSES_BELOW = 96


def activation(name: str, z: torch.Tensor) -> torch.Tensor:
    if name == "quadratic":
        return z * z
    if name == "relu":
        return F.relu(z)
    if name == "gelu":
        return F.gelu(z)
    raise ValueError(f"unknown activation {name!r}")


class EnsembleMLP(nn.Module):
    def __init__(self, cfgs: list[TrainConfig], n_in: int, n_out: int, tokens: bool):
        super().__init__()
        cfg = cfgs[0]
        self.act, self.tokens, self.n_in, self.n_out = cfg.act, tokens, n_in, n_out
        self.dropout_position = cfg.dropout_position
        m, n = len(cfgs), cfg.width
        w_in, w_out = zip(*(init_member(c, n_in, n_out) for c in cfgs), strict=True)
        self.w_in = nn.Parameter(torch.stack([w.T for w in w_in]).contiguous())  # (M, n_in, N)
        self.w_out = nn.Parameter(torch.stack([w.T for w in w_out]).contiguous())  # (M, N, n_out)
        self.b_in = nn.Parameter(torch.zeros(m, 1, n)) if cfg.bias else None
        self.b_out = nn.Parameter(torch.zeros(m, 1, n_out)) if cfg.bias else None
        if cfg.batchnorm:
            self.bn_weight = nn.Parameter(torch.ones(m, 1, n))
            self.bn_bias = nn.Parameter(torch.zeros(m, 1, n))
            self.register_buffer("bn_mean", torch.zeros(m, 1, n))
            self.register_buffer("bn_var", torch.ones(m, 1, n))
        else:
            self.bn_weight = self.bn_bias = None
        self.register_buffer("dropout", torch.tensor([c.dropout for c in cfgs]).view(m, 1, 1))
        self.use_dropout = any(c.dropout > 0 for c in cfgs)
        # hand-written path only: the gather's backward as cached sparse matrices, and work buffers
        self._scatter_cache: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}
        # ``fused.CompiledKernels``: the same path as compiled graphs (config ``compile``); None: eager
        self.kernels: CompiledKernels | None = None
        self._workspace: dict[tuple[str, torch.dtype], torch.Tensor] = {}

    @property
    def n_members(self) -> int:
        return self.w_in.shape[0]

    def hidden_pre(self, x: torch.Tensor) -> torch.Tensor:
        """x W_in^T: (M, n, N). ``x``: token ids (M, n, 2) or features (M, n, n_in)."""
        m, n = x.shape[0], x.shape[1]
        if self.tokens:
            offset = (torch.arange(m, device=x.device) * self.n_in).view(m, 1, 1)
            rows = F.embedding((x + offset).view(m, -1), self.w_in.reshape(m * self.n_in, -1))
            z = rows.view(m, n, x.shape[2], -1).sum(dim=2)
        else:
            z = torch.bmm(x.to(self.w_in.dtype), self.w_in)
        return z + self.b_in if self.b_in is not None else z

    def forward(self, x: torch.Tensor, masks: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (M, n, n_out). ``masks``: dropout keep-masks (M, n, N) already scaled by 1/keep."""
        if masks is None and not torch.is_grad_enabled() and self.supports_manual_grads():
            return self.blocked_logits(x)
        z = self.hidden_pre(x)
        if masks is not None and self.dropout_position == "pre":
            z = z * masks
        h = activation(self.act, z)
        if masks is not None and self.dropout_position == "post":
            h = h * masks
        if self.bn_weight is not None:
            h = self.batchnorm(h)
        if self.b_out is not None:
            return torch.baddbmm(self.b_out, h, self.w_out)
        return torch.bmm(h, self.w_out)

    # -- the hand-written path ------------------------------------------------------------------
    def supports_manual_grads(self) -> bool:
        """Token inputs, no bias, no BatchNorm, no dropout: the graph ``manual_grads`` writes out."""
        return (self.tokens and self.b_in is None and self.bn_weight is None and not self.use_dropout
                and self.act in MANUAL_ACTS)

    def token_rows(self, x: torch.Tensor) -> torch.Tensor:
        """Token ids (M, n, 2) → row numbers in ``w_in`` flattened to (M·n_in, N)."""
        m = x.shape[0]
        return x + (torch.arange(m, device=x.device) * self.n_in).view(m, 1, 1)

    @torch.no_grad()
    def blocked_logits(self, x: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (M, n, n_out) of token inputs, computed block by block (see ``manual_grads``).
        Under ``torch.autocast`` the matmuls run in its dtype, as in ``forward``."""
        rows = self.token_rows(x) if rows is None else rows
        m, n = rows.shape[:2]
        width = self.w_in.shape[2]
        w_flat = self.w_in.detach().reshape(m * self.n_in, width)
        w_out = _pad_classes(self.w_out.detach())
        out = torch.empty(m, n, self.n_out, device=rows.device)
        for ms, rs in self._block_layout(m, n, width):
            if self.kernels is not None:  # the same, one compiled call (models/fused.py)
                w_block, local = self._block_rows(w_flat, rows, ms, rs)
                out[ms, rs] = self.kernels.block_logits(w_block, w_out[ms], local, self.act)[..., :self.n_out]
                continue
            h = activation(self.act, _gather_sum(rows[ms, rs], w_flat))
            out[ms, rs] = torch.bmm(h, w_out[ms])[..., :self.n_out]
        return out

    @torch.no_grad()
    def manual_grads(self, rows: torch.Tensor, y: torch.Tensor, loss: str, *, logits: torch.Tensor | None = None,
                     bf16: bool = False, static_rows: bool = False) -> None:
        """Set ``w_in.grad`` and ``w_out.grad`` to the gradient of Σ_members mean-loss, by hand.

        Per member, with z = x W_in^T (two gathered rows), h = act(z), out = h W_out^T:
        g = ∂L/∂out = 2(out − onehot(y))/(n·C) for MSE (``nn.MSELoss`` mean), (softmax − onehot)/n for
        CE; ∂L/∂W_out^T = hᵀg; ∂L/∂z = (g W_out) ⊙ act'(z); ∂L/∂W_in rows = scatter-add of ∂L/∂z at
        the two token rows (the transpose of the gather, no one-hot matmul). Blocks of rows keep z, h
        and ∂L/∂h in cache. ``logits``: the outputs at the current weights if already known (the
        trainer's log pass), which saves the forward matmul. ``bf16``: matmuls in bfloat16 (as
        autocast), everything else float32. ``static_rows``: ``rows`` is the same tensor every call
        (full batch), so the scatter's sparse matrices are cached.
        """
        m, n = y.shape
        c, width = self.n_out, self.w_in.shape[2]
        mm = torch.bfloat16 if bf16 else torch.float32
        if self.kernels is not None:
            self._compiled_grads(rows, y, loss, logits, mm)
            return
        w_flat = self.w_in.detach().reshape(m * self.n_in, width)
        w_out = _pad_classes(self.w_out.detach()).to(mm)  # (M, N, C'), C' ≥ C: zero columns
        cp = w_out.shape[2]
        w_out_t = w_out.transpose(1, 2).contiguous()  # (M, C', N): ∂h = g W_out as a plain bmm
        grad_in = torch.zeros_like(w_flat)
        grad_out = torch.zeros(m, width, cp, device=w_flat.device)
        scale = _loss_scale(loss, n, c)
        for ms, rs in self._block_layout(m, n, width):
            r = rows[ms, rs]
            k, nr = r.shape[:2]
            z = _gather_sum(r, w_flat)
            h = self._scratch("h", (k, nr, width), mm)
            _activation_into(self.act, z, h)
            if logits is not None:
                out = F.pad(logits[ms, rs], (0, cp - c))
            else:
                out = torch.bmm(h, w_out[ms], out=self._scratch("out", (k, nr, cp), mm))
            # the gradient may overwrite our own scratch logits, never the caller's cached ones
            g = _output_grad(out.float(), y[ms, rs], loss, scale, c, inplace=logits is None).to(mm)
            if bf16:
                grad_out[ms] += torch.bmm(h.transpose(1, 2), g)
            else:
                grad_out[ms].baddbmm_(h.transpose(1, 2), g)
            grad_h = torch.bmm(g, w_out_t[ms], out=self._scratch("grad_h", (k, nr, width), mm))
            grad_z, alpha = _activation_backward(self.act, grad_h, z, self._scratch("grad_z", (k, nr, width)))
            grad_z = grad_z.view(k * nr, width)
            if static_rows:  # the transpose of the gather as a cached sparse matrix: one MKL spmm
                first = (ms.start or 0) * self.n_in
                grad_in[first:first + k * self.n_in].add_(self._scatter_matrix(rows, ms, rs) @ grad_z, alpha=alpha)
            else:
                grad_in.index_add_(0, r[..., 0].reshape(-1), grad_z, alpha=alpha)
                grad_in.index_add_(0, r[..., 1].reshape(-1), grad_z, alpha=alpha)
        self.w_in.grad = grad_in.view_as(self.w_in)
        self.w_out.grad = grad_out if cp == c else grad_out[..., :c].contiguous()

    def _compiled_grads(self, rows: torch.Tensor, y: torch.Tensor, loss: str, logits: torch.Tensor | None,
                        mm: torch.dtype) -> None:
        """``manual_grads`` with each block's work as one compiled call (``fused.block_grads``)."""
        m, n = y.shape
        w_flat = self.w_in.detach().reshape(m * self.n_in, -1)
        w_out = self.w_out.detach()
        grad_in, grad_out = torch.zeros_like(w_flat), torch.zeros_like(w_out)
        scale = _loss_scale(loss, n, self.n_out)
        padded = _padded_classes(self.n_out)
        for ms, rs in self._block_layout(m, n, w_flat.shape[1]):
            w_block, local = self._block_rows(w_flat, rows, ms, rs)
            g_in, g_out = self.kernels.block_grads(w_block, w_out[ms], local, y[ms, rs],
                                                   None if logits is None else logits[ms, rs], loss, scale,
                                                   self.act, mm, padded)
            grad_in[ms.start * self.n_in:ms.stop * self.n_in] += g_in
            grad_out[ms] += g_out
        self.w_in.grad, self.w_out.grad = grad_in.view_as(self.w_in), grad_out

    def _block_layout(self, m: int, n: int, width: int) -> list[tuple[slice, slice]]:
        """This model's activation blocks: ``BLOCK_ELEMS`` activations eager, twice as many compiled."""
        return _blocks(m, n, width, BLOCK_ELEMS if self.kernels is None else 2 * BLOCK_ELEMS)

    def _block_rows(self, w_flat: torch.Tensor, rows: torch.Tensor, ms: slice,
                    rs: slice) -> tuple[torch.Tensor, torch.Tensor]:
        """The ``w_in`` rows of block (ms, rs)'s members, and its token rows numbered within them."""
        return w_flat[ms.start * self.n_in:ms.stop * self.n_in], rows[ms, rs] - ms.start * self.n_in

    def _scatter_matrix(self, rows: torch.Tensor, ms: slice, rs: slice) -> torch.Tensor:
        """Sparse CSR (k·n_in, k·n_rows) with a 1 at (token row, example) of block (ms, rs): its
        product with ∂L/∂z is the scatter-add of the gather's backward (measured 2-7× faster than
        ``index_add_`` here). Built once per block while ``rows`` stays the same tensor."""
        cache = self._scatter_cache
        key = (ms.start, ms.stop, rs.start, rs.stop)
        hit = cache.get(key)
        if hit is not None and hit[0] is rows:
            return hit[1]
        r = rows[ms, rs]
        k, nr, t = r.shape
        local = (r - (ms.start or 0) * self.n_in).reshape(-1)
        cols = torch.arange(k * nr, device=r.device).repeat_interleave(t)
        with warnings.catch_warnings():  # "sparse CSR support is in beta": we use only the stable spmm
            warnings.simplefilter("ignore", UserWarning)
            a = torch.sparse_coo_tensor(torch.stack([local, cols]), torch.ones(local.numel(), device=r.device),
                                        (k * self.n_in, k * nr)).coalesce().to_sparse_csr()
        if hit is not None and hit[0] is not rows:
            cache.clear()
        cache[key] = (rows, a)
        return a

    def _scratch(self, name: str, shape: tuple[int, ...], dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """A reusable work buffer: fresh multi-MB tensors every block cost page faults (measured
        2-3× on elementwise ops here), so the blocks' activations live in kept buffers."""
        ws = self._workspace
        numel = math.prod(shape)
        buf = ws.get((name, dtype))
        if buf is None or buf.numel() < numel or buf.device != self.w_in.device:
            buf = ws[(name, dtype)] = torch.empty(numel, dtype=dtype, device=self.w_in.device)
        return buf[:numel].view(shape)

    def batchnorm(self, h: torch.Tensor) -> torch.Tensor:
        """BatchNorm1d per member over the batch axis (PyTorch semantics: biased variance to
        normalise, unbiased in the running estimate, momentum 0.1)."""
        if self.training:
            var, mean = torch.var_mean(h, dim=1, keepdim=True, correction=0)
            with torch.no_grad():
                n = h.shape[1]
                self.bn_mean.lerp_(mean, BN_MOMENTUM)
                self.bn_var.lerp_(var * n / max(n - 1, 1), BN_MOMENTUM)
        else:
            mean, var = self.bn_mean, self.bn_var
        return (h - mean) * torch.rsqrt(var + BN_EPS) * self.bn_weight + self.bn_bias

    def member_weights(self, i: int) -> dict[str, np.ndarray]:
        """Member i's weights in the paper's layout: W_in (N, n_in), W_out (n_out, N), ..."""
        out = {"W_in": self.w_in[i].T, "W_out": self.w_out[i].T}
        if self.b_in is not None:
            out |= {"b_in": self.b_in[i, 0], "b_out": self.b_out[i, 0]}
        if self.bn_weight is not None:
            out |= {"bn_weight": self.bn_weight[i, 0], "bn_bias": self.bn_bias[i, 0],
                    "bn_mean": self.bn_mean[i, 0], "bn_var": self.bn_var[i, 0]}
        return {k: v.detach().float().cpu().numpy() for k, v in out.items()}

    @torch.no_grad()
    def load_member_weights(self, i: int, weights: dict[str, np.ndarray]) -> None:
        """Inverse of ``member_weights``: set member i from paper-layout arrays."""
        dev = self.w_in.device
        t = {k: torch.as_tensor(np.asarray(v, dtype=np.float32), device=dev) for k, v in weights.items()}
        self.w_in[i].copy_(t["W_in"].T)
        self.w_out[i].copy_(t["W_out"].T)
        for name in ("b_in", "b_out", "bn_weight", "bn_bias", "bn_mean", "bn_var"):
            if getattr(self, name, None) is not None and name in t:
                getattr(self, name)[i, 0].copy_(t[name])


def init_member(cfg: TrainConfig, n_in: int, n_out: int) -> tuple[torch.Tensor, torch.Tensor]:
    """N(0, σ²) weights in the paper's layout from the member's own seed, so a member's init
    does not depend on which ensemble it trains in."""
    g = torch.Generator().manual_seed(cfg.seed)
    s = cfg.effective_init_scale
    w_in = torch.randn(cfg.width, n_in, generator=g) * s
    w_out = torch.randn(n_out, cfg.width, generator=g) * s
    return w_in, w_out


def _blocks(m: int, n: int, width: int, elems: int | None = None) -> list[tuple[slice, slice]]:
    """(members, rows) blocks of about ``elems`` (default ``BLOCK_ELEMS``) activations: whole members
    when several fit, else row ranges of one member."""
    elems = BLOCK_ELEMS if elems is None else elems
    per_member = n * width
    if per_member <= elems:
        k = max(1, elems // per_member)
        k = -(-m // -(-m // k))  # equal blocks: 64 members by 31 → 22, 22, 20 rather than 31, 31, 2
        return [(slice(i, min(i + k, m)), slice(None)) for i in range(0, m, k)]
    n_blocks = -(-per_member // elems)
    step = -(-n // n_blocks)
    return [(slice(i, i + 1), slice(j, min(j + step, n))) for i in range(m) for j in range(0, n, step)]


def _gather_sum(rows: torch.Tensor, w_flat: torch.Tensor) -> torch.Tensor:
    """x W_in^T for one-hot(a) ⊕ one-hot(b): the sum of two rows, in one ``embedding_bag`` kernel."""
    k, r, t = rows.shape
    return F.embedding_bag(rows.reshape(k * r, t), w_flat, mode="sum").view(k, r, -1)


def _padded_classes(c: int) -> int:
    """The GEMMs' class count: ``c`` rounded up to a multiple of 8 below ``PAD_CLASSES_BELOW``."""
    return c if c >= PAD_CLASSES_BELOW else c + -c % 8


def _pad_classes(w_out: torch.Tensor) -> torch.Tensor:
    """``w_out`` (M, N, C) with zero columns up to ``_padded_classes(C)`` (faster GEMMs). A zero
    column's logit is 0 and, under MSE, so is its gradient."""
    c = w_out.shape[2]
    return w_out if _padded_classes(c) == c else F.pad(w_out, (0, _padded_classes(c) - c))


def _loss_scale(loss: str, n: int, c: int) -> float:
    """The factor of ∂(mean loss)/∂logits: 2/(nC) for ``nn.MSELoss`` (mean over n·C), 1/n for CE."""
    return 2.0 / (n * c) if loss == "mse" else 1.0 / n


def _output_grad(out: torch.Tensor, y: torch.Tensor, loss: str, scale: float, c: int,
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


def _activation_into(name: str, z: torch.Tensor, out: torch.Tensor) -> None:
    """act(z) written into ``out`` (possibly bfloat16): no new tensor per block."""
    if name == "quadratic":
        torch.mul(z, z, out=out)
    else:
        out.copy_(activation(name, z))


def _activation_backward(name: str, grad_h: torch.Tensor, z: torch.Tensor,
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
