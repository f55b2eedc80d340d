"""AdamW over stacked ensemble parameters: one update for all M members, each with its own
learning rate and decoupled weight decay (Loshchilov & Hutter 2019; the update rule of
``torch.optim.AdamW``, with lr and wd as per-member tensors instead of scalars)."""

from __future__ import annotations

import math

import torch


class EnsembleAdamW:
    def __init__(self, params: list[torch.nn.Parameter], lr: torch.Tensor, wd: torch.Tensor,
                 betas: tuple[float, float], eps: float):
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.wd, self.betas, self.eps = lr, wd, betas, eps
        self.t = 0
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        bc1, bc2_sqrt = 1 - b1**self.t, math.sqrt(1 - b2**self.t)
        for p, m, v in zip(self.params, self.exp_avg, self.exp_avg_sq):
            shape = (-1,) + (1,) * (p.dim() - 1)
            lr = self.lr.view(shape)
            p.mul_(1 - lr * self.wd.view(shape))
            m.lerp_(p.grad, 1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
            denom = (v.sqrt() / bc2_sqrt).add_(self.eps)
            p.sub_(m / denom * (lr / bc1))

    def member_state(self, i: int) -> dict:
        return {"t": self.t, "exp_avg": [m[i].clone() for m in self.exp_avg],
                "exp_avg_sq": [v[i].clone() for v in self.exp_avg_sq]}

    def load_member_state(self, i: int, state: dict) -> None:
        self.t = state["t"]
        for m, s in zip(self.exp_avg, state["exp_avg"]):
            m[i].copy_(s)
        for v, s in zip(self.exp_avg_sq, state["exp_avg_sq"]):
            v[i].copy_(s)
