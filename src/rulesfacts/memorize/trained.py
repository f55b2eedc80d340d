"""The reference row: an ordinary one-hidden-layer ReLU MLP trained by gradient descent to fit the
same training set, with (about) the parameter budget of a construction.

Yu et al. compare constructions with each other; a trained network of the same size shows
where plain training lands. Training is full-batch Adam on the logistic loss, stopped as soon
as every training point is on the right side (train accuracy 1.0) or after ``max_epochs``;
whether it got there is reported, not assumed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rulesfacts.config import Config, Int, Real, param
from rulesfacts.memorize.common import MemorizationNet, NetInfo, check_labels
from rulesfacts.runtime import torch_threads


@dataclass(frozen=True)
class MLPConfig(Config):
    """How the reference MLP is sized and trained."""

    width: int = param(16, Int(1), "Hidden units.")
    lr: float = param(1e-2, Real(0.0, lo_open=True), "Learning rate (Adam).")
    max_epochs: int = param(2000, Int(1), "Epochs at most, per initialisation.")
    restarts: int = param(4, Int(0), "Fresh initialisations tried when one gets stuck below train accuracy 1.0.")
    seed: int = param(0, Int(0), "Seed of the first initialisation (restart i uses seed + i).")

    @staticmethod
    def for_budget(params: int, dim: int, **kw) -> MLPConfig:
        """The width whose d·w + w + w + 1 parameters come closest to ``params`` (at least 2)."""
        return MLPConfig(width=max(2, round((params - 1) / (dim + 2))), **kw)


class TrainedMLP(MemorizationNet):
    """x ↦ w₂·ReLU(W₁x + b₁) + b₂, fitted by full-batch Adam on log(1 + e^{−y f(x)})."""

    def __init__(self, x: np.ndarray, y: np.ndarray, cfg: MLPConfig = MLPConfig()):
        super().__init__()
        y = check_labels(y)
        x = np.asarray(x, dtype=np.float64)
        mu = x.mean(0)
        self.mu = torch.from_numpy(mu)  # centring is part of the input layer (folded into b₁ below)
        xt = torch.from_numpy(x - mu).float()
        yt = torch.from_numpy(y).float()
        for attempt in range(cfg.restarts + 1):  # a small net can stall on a few points: re-initialise
            net = _init(x.shape[1], cfg.width, cfg.seed + attempt)
            self.epochs, self.converged = _fit(net, xt, yt, cfg)
            self.attempts = attempt + 1
            if self.converged:
                break
        self.net = net.double().requires_grad_(False)
        with torch.no_grad():  # fold the centring into the first bias: f(x) = W₁x + (b₁ − W₁μ)
            self.net[0].bias -= self.net[0].weight @ self.mu
        self.info = NetInfo(params=sum(p.numel() for p in self.net.parameters()), depth=2, width=cfg.width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


def _init(dim: int, width: int, seed: int) -> nn.Sequential:
    """PyTorch's default initialisation, drawn from ``seed`` without touching the global RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(dim, width), nn.ReLU(), nn.Linear(width, 1))


def _fit(net: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: MLPConfig) -> tuple[int, bool]:
    """Full-batch Adam until every margin y·f(x) is positive; returns (epochs used, whether it got there).

    Runs on one thread: these tensors are tiny, and on a shared 2-core machine extra threads
    only wait on each other (measured 10× slower under load).
    """
    with torch_threads(1):
        opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
        for epoch in range(cfg.max_epochs + 1):
            opt.zero_grad()
            margin = y * net(x).squeeze(-1)
            if bool((margin > 0).all()):
                return epoch, True
            if epoch == cfg.max_epochs:
                break
            nn.functional.softplus(-margin).mean().backward()
            opt.step()
    return cfg.max_epochs, False
