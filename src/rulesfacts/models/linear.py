"""Linear readouts as ensembles: the learners of the Rules-and-Facts theory, trained.

Per member the prediction is the margin h = Z(x)·a with a design Z fixed before training:

- ``linear``: Z = x/√d (``rulesfacts theory --learner linear``);
- ``rf``: random features Z = (σ(F x/√d) − μ0)/√p, F ∈ R^{p×d} Gaussian and frozen, p = round(κ·d),
  centred by μ0 = E σ(z) as in ``theory.simulate`` (the constant feature the theory drops).

The readout a minimises Σ_μ g(s_μ h_μ) + λ/2‖a‖², a convex problem that ``training.steps.ConvexStep``
solves to convergence by L-BFGS in float64. The trainer's metrics read two logits (−h/2, h/2), whose
difference is the margin, so class 1 is predicted when h > 0 (as sign(h)).

F is drawn from the member's seed (``torch.Generator``) and not stored: ``member_weights`` holds
only the readout ``a``, and the model rebuilds F from the config.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from rulesfacts.config.train import TrainConfig
from rulesfacts.models.base import EnsembleModel, Shape, squared_norms

# μ0 = E σ(z), z ~ N(0, 1): 0 for the odd activations, 1/√(2π) for ReLU (tests compare with
# ``theory.models.activations.ge_coefficients``)
MU0 = {"sign": 0.0, "tanh": 0.0, "erf": 0.0, "relu": 1 / math.sqrt(2 * math.pi)}
FEATURE_STREAM = 0x0F0F  # the features' own generator offset: independent of any other init stream


def rf_activation(name: str, z: torch.Tensor) -> torch.Tensor:
    if name == "sign":
        return torch.sign(z)
    if name == "relu":
        return torch.relu(z)
    if name == "tanh":
        return torch.tanh(z)
    if name == "erf":
        return torch.erf(z)
    raise ValueError(f"unknown activation {name!r}")


class EnsembleLinear(EnsembleModel):
    """M linear readouts on the inputs (``rf=False``) or on frozen random features."""

    def __init__(self, cfgs: list[TrainConfig], n_in: int):
        super().__init__()
        cfg = cfgs[0]
        self.rf, self.act, self.n_in = cfg.model == "rf", cfg.act, n_in
        (self.n_features,) = self.member_shapes(cfg, n_in, 2)["a"]
        if self.rf:
            gens = [torch.Generator().manual_seed(c.seed + FEATURE_STREAM) for c in cfgs]
            feats = [torch.randn(self.n_features, n_in, generator=g, dtype=torch.float64) for g in gens]
            self.register_buffer("features", torch.stack(feats))  # (M, p, d)
        else:
            self.features = None
        self.a = nn.Parameter(torch.zeros(len(cfgs), self.n_features, dtype=torch.float64))  # (M, D)
        self.pinned: list[tuple[torch.Tensor, torch.Tensor]] = []  # (inputs, their design in float32)

    @property
    def n_members(self) -> int:
        return self.a.shape[0]

    @classmethod
    def member_shapes(cls, cfg: TrainConfig, n_in: int | None, n_out: int | None) -> dict[str, Shape]:
        """The readout a alone, one weight per feature: the d inputs (linear) or p = round(κ·d)
        random features (rf; F is rebuilt from the seed, not stored)."""
        if n_in is None:
            return {"a": (None,)}
        return {"a": (max(int(round(cfg.kappa * n_in)), 1) if cfg.model == "rf" else n_in,)}

    def design(self, x: torch.Tensor) -> torch.Tensor:
        """Z (M, n, D) in float64 of inputs x (M, n, d)."""
        x = x.to(torch.float64)
        if not self.rf:
            return x / math.sqrt(self.n_in)
        pre = torch.bmm(x, self.features.transpose(1, 2)) / math.sqrt(self.n_in)
        return (rf_activation(self.act, pre) - MU0[self.act]) / math.sqrt(self.n_features)

    def pin(self, x: torch.Tensor) -> None:
        """Keep the design of inputs ``x`` (the trainer's train and test sets, evaluated at every log):
        random features are then computed once per run, not once per log."""
        if self.rf:
            self.pinned.append((x, self.design_chunks(x).float()))

    def design_chunks(self, x: torch.Tensor) -> torch.Tensor:
        chunk = max(1, 2**24 // (self.n_members * self.n_features))
        return torch.cat([self.design(x[:, s:s + chunk]) for s in range(0, x.shape[1], chunk)], dim=1)

    def margin(self, x: torch.Tensor) -> torch.Tensor:
        """h (M, n), in chunks of rows so the (M, n, p) features of a large test set are never whole."""
        for pinned, z in self.pinned:
            if pinned is x:
                return torch.bmm(z.double(), self.a.unsqueeze(2)).squeeze(2)
        chunk = max(1, 2**24 // (self.n_members * self.n_features))
        return torch.cat([torch.bmm(self.design(x[:, s:s + chunk]), self.a.unsqueeze(2)).squeeze(2)
                          for s in range(0, x.shape[1], chunk)], dim=1)

    def forward(self, x: torch.Tensor, masks: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (M, n, 2) = (−h/2, h/2): their difference is the margin h."""
        h = self.margin(x).float()
        return torch.stack([-h / 2, h / 2], dim=2)

    def convex(self) -> bool:
        return True

    def weight_norms(self) -> torch.Tensor:
        norm_in = squared_norms([self.features]) if self.features is not None else torch.zeros(self.n_members)
        return torch.stack([norm_in.to(self.a.device).float(), squared_norms([self.a])], dim=1)

    def member_weights(self, i: int) -> dict[str, np.ndarray]:
        return {"a": self.a[i].detach().float().cpu().numpy()}

    @torch.no_grad()
    def load_member_weights(self, i: int, weights: dict[str, np.ndarray]) -> None:
        self.a[i].copy_(torch.as_tensor(np.asarray(weights["a"], dtype=np.float64)))

    def train_flops(self, n_train: int) -> float:
        """One L-BFGS iteration evaluates the objective about once: Z a and Zᵀ r, 2·2·n·D per member
        (the features are computed once, before the first step)."""
        return float(self.n_members * 4 * n_train * self.n_features)

    def eval_flops(self, n: int) -> float:
        first = 2 * n * self.n_in * self.n_features if self.rf else 0
        return float(self.n_members * (first + 2 * n * self.n_features))
