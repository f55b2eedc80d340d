"""The two-layer network of Doshi et al. / Gromov, batched over an ensemble of M members.

Per member: h = act(x W_in^T) (optionally dropout and BatchNorm), out = h W_out^T, with
W_in ∈ R^{N×n_in} and W_out ∈ R^{n_out×N} as in the paper (no biases by default).

For token inputs (one-hot(a) ⊕ one-hot(b)), x W_in^T is the sum of two columns of W_in: we
gather them instead of multiplying by a one-hot matrix, which would cost 2p× more FLOPs.
Weights are stored transposed, ``w_in`` (M, n_in, N) and ``w_out`` (M, N, n_out), so both
layers are row gathers or ``baddbmm``/``bmm`` calls.

Training has a second, hand-written path (``models/handwritten.py``): forward and backward of
the token-input network without autograd, block by block so the (n, N) activations of a block
stay in cache. It applies when there is no dropout, BatchNorm or bias (``hand_written()`` is then
not None); everything else takes the autograd path. Tests check the two agree to float
tolerance. With ``compile = true`` each block runs as one compiled graph of the same math
(``models/fused.py``).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from rulesfacts.config.train import TrainConfig
from rulesfacts.models.base import EnsembleModel, Shape, squared_norms
from rulesfacts.models.handwritten import ACTIVATIONS, BLOCK_ELEMS, BlockKernels, HandWrittenPath, activation

BN_EPS = 1e-5
BN_MOMENTUM = 0.1


class EnsembleMLP(EnsembleModel):
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
        self.uses_dropout = any(c.dropout > 0 for c in cfgs)
        applies = (tokens and not cfg.bias and not cfg.batchnorm and not self.uses_dropout
                   and cfg.act in ACTIVATIONS)
        self.path = HandWrittenPath(self) if applies else None

    @property
    def n_members(self) -> int:
        return self.w_in.shape[0]

    @classmethod
    def member_shapes(cls, cfg: TrainConfig, n_in: int | None, n_out: int | None) -> dict[str, Shape]:
        """The paper's layout: W_in (N, n_in), W_out (n_out, N), the biases and the BatchNorm
        parameters and statistics when the config has them."""
        n = cfg.width
        shapes: dict[str, Shape] = {"W_in": (n, n_in), "W_out": (n_out, n)}
        if cfg.bias:
            shapes |= {"b_in": (n,), "b_out": (n_out,)}
        if cfg.batchnorm:
            shapes |= {name: (n,) for name in ("bn_weight", "bn_bias", "bn_mean", "bn_var")}
        return shapes

    def hidden_pre(self, x: torch.Tensor) -> torch.Tensor:
        """x W_in^T: (M, n, N). ``x``: token ids (M, n, 2) or features (M, n, n_in)."""
        m, n = x.shape[0], x.shape[1]
        if self.tokens:
            offset = (torch.arange(m, device=x.device) * self.n_in).view(m, 1, 1)
            rows = nn.functional.embedding((x + offset).view(m, -1), self.w_in.reshape(m * self.n_in, -1))
            z = rows.view(m, n, x.shape[2], -1).sum(dim=2)
        else:
            z = torch.bmm(x.to(self.w_in.dtype), self.w_in)
        return z + self.b_in if self.b_in is not None else z

    def forward(self, x: torch.Tensor, masks: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (M, n, n_out). ``masks``: dropout keep-masks (M, n, N) already scaled by 1/keep."""
        if masks is None and not torch.is_grad_enabled() and self.path is not None:
            return self.path.logits(x)
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

    def hand_written(self) -> HandWrittenPath | None:
        """Token inputs, no bias, no BatchNorm, no dropout: the graph the hand-written path writes out."""
        return self.path

    def configure_path(self, kernels: BlockKernels | None = None, block_elems: int = BLOCK_ELEMS) -> None:
        """Set up the hand-written path: its blocks as compiled graphs (``kernels``, a
        ``models.fused.CompiledKernels``) or eager, and the activations per block."""
        if self.path is not None:
            self.path = HandWrittenPath(self, kernels, block_elems)

    def weight_norms(self) -> torch.Tensor:
        return torch.stack([squared_norms([self.w_in]), squared_norms([self.w_out])], dim=1)

    def train_flops(self, n_train: int) -> float:
        """One full-batch epoch: per example the first layer is a gather-sum of two rows (token
        inputs: N adds, backward 2N scatter-adds) or a product (2·n_in·N, backward as much again
        for ∂W_in: the inputs need no gradient), the output layer a product (2·N·C), backward
        twice that (∂W_out and ∂h). Elementwise work (the activation, the loss) is left out: it is
        memory-bound, not arithmetic."""
        width = self.w_in.shape[2]
        first = 3 * width if self.tokens else 2 * 2 * self.n_in * width
        return float(self.n_members * n_train * (first + 3 * 2 * width * self.n_out))

    def eval_flops(self, n: int) -> float:
        """The forward half of ``train_flops``: per example N adds (token inputs) or 2·n_in·N for
        the first layer, 2·N·C for the output layer."""
        width = self.w_in.shape[2]
        first = width if self.tokens else 2 * self.n_in * width
        return float(self.n_members * n * (first + 2 * width * self.n_out))

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
    shapes = EnsembleMLP.member_shapes(cfg, n_in, n_out)
    w_in = torch.randn(shapes["W_in"], generator=g) * s
    w_out = torch.randn(shapes["W_out"], generator=g) * s
    return w_in, w_out
