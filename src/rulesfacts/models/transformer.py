"""A one-layer transformer for modular tasks (Nanda, Chan, Lieberum, Smith & Steinhardt 2023,
"Progress measures for grokking via mechanistic interpretability", Sec. 3 / App. A),
batched over an ensemble of M members like ``EnsembleMLP``.

Per member, the input "a b =" is three tokens from a shared vocabulary of p numbers plus "=":

    x_t = W_E[tok_t] + W_pos[t]                                (embed, learned positions)
    r   = x_2 + Σ_h softmax(q_h · k_h(t) / √d_head) v_h(t) W_O   (one attention block, read at "=")
    r'  = r + W_out ReLU(W_in r + b_in) + b_out                (MLP, d_mlp = 4 d_model)
    logits = W_U r'                                            (unembed, no LayerNorm anywhere)

Only the last position is read, and with one layer the causal mask never hides anything from it,
so only its query is computed: the other two positions' outputs would never reach the logits.
Every parameter carries the member axis M and all products are ``einsum``/``bmm`` over it, so an
ensemble costs one batched computation, not a loop over models.

Init (``init_scale`` None): N(0, 1/d_model) for every matrix except W_U ~ N(0, 1/n_out), the
scales of Nanda et al.'s setup (residual stream entries O(1/√d)); biases zero. A given
``init_scale`` σ sets every matrix to N(0, σ²) instead.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from rulesfacts.config.train import TrainConfig
from rulesfacts.models.base import Shape, StackedModel, squared_norms

N_POS = 3  # "a", "b", "="
MLP_RATIO = 4  # d_mlp = 4 · d_model (512 for d_model = 128, as in Nanda et al.)


def param_shapes(n_tokens: int | None, d: int, n_out: int | None) -> dict[str, Shape]:
    """Per-member parameter shapes by name (the keys of ``member_weights``). Products are
    written r @ W, so W_Q..W_O, the MLP and W_U are stored (in, out); heads are column blocks."""
    f = MLP_RATIO * d
    return {
        "embed": (n_tokens, d),  # W_E: one row per token (the p numbers, then "=")
        "pos": (N_POS, d),  # W_pos
        "W_Q": (d, d), "W_K": (d, d), "W_V": (d, d), "W_O": (d, d),
        "W_mlp_in": (d, f), "b_mlp_in": (f,), "W_mlp_out": (f, d), "b_mlp_out": (d,),
        "unembed": (d, n_out),  # W_U
    }


class EnsembleTransformer(StackedModel):
    """M one-layer transformers. ``vocab`` is the split's token count (2p: a in [0, p), b in
    [p, 2p)); b is folded onto the same p number tokens, and token p is "="."""

    def __init__(self, cfgs: list[TrainConfig], vocab: int, n_out: int):
        super().__init__()
        cfg = cfgs[0]
        if vocab % 2:
            raise ValueError("the transformer reads (a, b) token pairs with a in [0, p), b in [p, 2p)")
        self.p = vocab // 2
        self.n_tokens = self.p + 1
        self.d_model, self.n_heads, self.n_out = cfg.d_model, cfg.n_heads, n_out
        self.d_mlp = MLP_RATIO * cfg.d_model
        shapes = self.member_shapes(cfg, vocab, n_out)  # the members share them (one ensemble_key)
        self.stack_members([init_member(c, shapes) for c in cfgs])

    @classmethod
    def member_shapes(cls, cfg: TrainConfig, n_in: int | None, n_out: int | None) -> dict[str, Shape]:
        """``param_shapes``: ``n_in`` is the split's token count 2p, so p + 1 embedding rows (the p
        numbers, then "=")."""
        return param_shapes(None if n_in is None else n_in // 2 + 1, cfg.d_model, n_out)

    def residual_in(self, x: torch.Tensor) -> torch.Tensor:
        """Token + position embeddings (M, n, 3, d) of token ids ``x`` (M, n, 2)."""
        m, n = x.shape[0], x.shape[1]
        a, b = x[..., 0], x[..., 1] - self.p
        eq = torch.full_like(a, self.p)
        tok = torch.stack([a, b, eq], dim=2)  # (M, n, 3)
        offset = (torch.arange(m, device=x.device) * self.n_tokens).view(m, 1, 1)
        emb = F.embedding((tok + offset).view(m, -1), self.params["embed"].reshape(m * self.n_tokens, -1))
        return emb.view(m, n, N_POS, -1) + self.params["pos"].unsqueeze(1)

    def forward(self, x: torch.Tensor, masks: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (M, n, n_out) at the "=" position. ``masks`` is ignored (no dropout)."""
        P = self.params
        m, n = x.shape[0], x.shape[1]
        h, dh = self.n_heads, self.d_model // self.n_heads
        resid = self.residual_in(x)  # (M, n, 3, d)
        last = resid[:, :, -1]  # (M, n, d)
        q = torch.bmm(last, P["W_Q"]).view(m, n, h, dh)
        k = torch.einsum("mntd,mde->mnte", resid, P["W_K"]).view(m, n, N_POS, h, dh)
        v = torch.einsum("mntd,mde->mnte", resid, P["W_V"]).view(m, n, N_POS, h, dh)
        att = torch.softmax(torch.einsum("mnhe,mnthe->mnht", q, k) / math.sqrt(dh), dim=-1)
        z = torch.einsum("mnht,mnthe->mnhe", att, v).reshape(m, n, self.d_model)
        r = last + torch.bmm(z, P["W_O"])
        hid = F.relu(torch.baddbmm(P["b_mlp_in"].unsqueeze(1), r, P["W_mlp_in"]))
        r = r + torch.baddbmm(P["b_mlp_out"].unsqueeze(1), hid, P["W_mlp_out"])
        return torch.bmm(r, P["unembed"])

    def weight_norms(self) -> torch.Tensor:
        """Every parameter counts as input side (``norm_in``); ``norm_out`` is 0: the split into two
        layers is the MLP's."""
        total = squared_norms(list(self.params.values()))
        return torch.stack([total, torch.zeros_like(total)], dim=1)

    def train_flops(self, n_train: int) -> float:
        """One full-batch epoch, multiply-add as two, backward as twice the forward
        (``eval_flops``): every product's input needs its gradient, down to the embeddings."""
        return 3 * self.eval_flops(n_train)

    def eval_flops(self, n: int) -> float:
        """A forward pass: per example the K and V projections of 3 positions, Q and O of one,
        the scores and the weighted sum of V (2·3·d each over the heads), the MLP and the
        unembedding."""
        d, f = self.d_model, self.d_mlp
        per_example = 2 * (2 * N_POS * d * d + 2 * d * d + 2 * d * f + d * self.n_out) + 4 * N_POS * d
        return float(per_example * n * self.n_members)


def init_member(cfg: TrainConfig, shapes: dict[str, Shape]) -> dict[str, torch.Tensor]:
    """One member's parameters of ``shapes`` (``member_shapes``) from its own seed (independent of
    the ensemble it trains in)."""
    g = torch.Generator().manual_seed(cfg.seed)
    d, n_out = cfg.d_model, shapes["unembed"][1]
    out = {}
    for name, shape in shapes.items():
        if name.startswith("b_"):
            out[name] = torch.zeros(shape)
            continue
        std = cfg.init_scale if cfg.init_scale is not None else 1 / math.sqrt(n_out if name == "unembed" else d)
        out[name] = torch.randn(shape, generator=g) * std
    return out
