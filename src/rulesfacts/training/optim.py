"""AdamW over stacked ensemble parameters: M members, each with its own learning rate and
decoupled weight decay (Loshchilov & Hutter 2019; the update rule of ``torch.optim.AdamW``).

The update runs in torch's fused AdamW kernel (``torch._fused_adamw_``, one pass over each
parameter, no temporaries), called once per distinct (lr, wd) pair on that group's member slices
(runs of consecutive members as one slice each: a sweep lists its members axis by axis, so a
group is usually a few runs, and each slice is a list entry the call walks); an ensemble with one
(lr, wd) is a single call on the whole stacked tensors. Where the kernel is
missing, the same update runs as a few in-place tensor ops with per-member lr and wd.
"""

from __future__ import annotations

import math

import torch

_FUSED = hasattr(torch, "_fused_adamw_")


class EnsembleAdamW:
    def __init__(self, params: list[torch.nn.Parameter], lr: torch.Tensor, wd: torch.Tensor,
                 betas: tuple[float, float], eps: float, fused: bool | None = None):
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.wd, self.betas, self.eps = lr, wd, betas, eps
        self.t = 0
        # the step count as the fused kernel reads it, kept on the parameters' device and advanced
        # in place each step: a fresh ``torch.tensor(t, device=cuda)`` per step would be a
        # host-to-device copy, which waits for the GPU (the trainer reads nothing back between
        # log passes), and an in-place add is what a CUDA graph can replay
        self.step_count = torch.zeros((), device=self.params[0].device if self.params else None)
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.fused = _FUSED if fused is None else fused and _FUSED
        self.groups = _groups(lr.tolist(), wd.tolist())

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        self.update()

    @torch.no_grad()
    def update(self) -> None:
        """The device work of ``step``, without the host's step count: a CUDA graph captures it
        once and replays it each step (``steps.DeviceStep``), advancing ``step_count`` itself.
        Fused only: the tensor fallback folds the host's count into its bias corrections."""
        if self.fused:
            self._fused_step()
        else:
            self._tensor_step()

    def _fused_step(self) -> None:
        b1, b2 = self.betas
        triples = zip(self.params, self.exp_avg, self.exp_avg_sq, strict=True)
        with_grad = [(p, m, v) for p, m, v in triples if p.grad is not None]
        m_all = self.params[0].shape[0] if self.params else 0
        self.step_count.add_(1)
        for (lr, wd), members in self.groups.items():
            if len(members) == m_all:
                parts = [(p, p.grad, m, v) for p, m, v in with_grad]
            else:
                parts = [(p[r], p.grad[r], m[r], v[r]) for p, m, v in with_grad for r in consecutive(members)]
            if not parts:
                continue
            ps, gs, ms, vs = (list(t) for t in zip(*parts, strict=True))
            torch._fused_adamw_(ps, gs, ms, vs, [], [self.step_count] * len(ps), lr=lr, beta1=b1, beta2=b2,
                                weight_decay=wd, eps=self.eps, amsgrad=False, maximize=False)

    def _tensor_step(self) -> None:
        b1, b2 = self.betas
        bc1, bc2_sqrt = 1 - b1**self.t, math.sqrt(1 - b2**self.t)
        for p, m, v in zip(self.params, self.exp_avg, self.exp_avg_sq, strict=True):
            if p.grad is None:
                continue
            shape = (-1,) + (1,) * (p.dim() - 1)
            lr = self.lr.view(shape)
            p.mul_(1 - lr * self.wd.view(shape))
            m.lerp_(p.grad, 1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
            denom = v.sqrt().div_(bc2_sqrt).add_(self.eps)
            p.sub_(denom.reciprocal_().mul_(m).mul_(lr / bc1))

    def member_state(self, i: int) -> dict:
        return {"t": self.t, "exp_avg": [m[i].clone() for m in self.exp_avg],
                "exp_avg_sq": [v[i].clone() for v in self.exp_avg_sq]}

    def load_member_state(self, i: int, state: dict) -> None:
        self.t = state["t"]
        self.step_count.fill_(self.t)
        for m, s in zip(self.exp_avg, state["exp_avg"], strict=True):
            m[i].copy_(s)
        for v, s in zip(self.exp_avg_sq, state["exp_avg_sq"], strict=True):
            v[i].copy_(s)


def _groups(lrs: list[float], wds: list[float]) -> dict[tuple[float, float], list[int]]:
    """Member indices by (lr, wd): one fused call per group."""
    out: dict[tuple[float, float], list[int]] = {}
    for i, key in enumerate(zip(lrs, wds, strict=True)):
        out.setdefault(key, []).append(i)
    return out


def consecutive(members: list[int]) -> list[slice]:
    """Sorted member indices as slices of consecutive runs: [0, 1, 2, 5, 6] → [0:3, 5:7]. The
    fused kernel is elementwise, so one slice of k members computes what k single members do."""
    runs: list[slice] = []
    for i in members:
        if runs and runs[-1].stop == i:
            runs[-1] = slice(runs[-1].start, i + 1)
        else:
            runs.append(slice(i, i + 1))
    return runs
