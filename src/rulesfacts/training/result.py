"""What a run returns to Python."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rulesfacts.config.train import TrainConfig


@dataclass
class RunResult:
    """What a run returns to Python: its config, final summary, logged metrics and weights."""

    config: TrainConfig
    summary: dict[str, Any]
    metrics: list[dict[str, Any]]
    weights: dict[str, np.ndarray]
    run_dir: Path | None = None
