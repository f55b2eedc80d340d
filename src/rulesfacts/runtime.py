"""Where computation runs and where human-readable output goes."""

from __future__ import annotations

import functools

import torch
from rich.console import Console

from rulesfacts.errors import ConfigError


def resolve_device(name: str) -> torch.device:
    """"auto" → CUDA when present, else CPU; "cuda" without a GPU is a config error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device", name, "'cpu' or 'auto' on this machine (no CUDA device found)")
    return torch.device(name)


@functools.cache
def stderr_console() -> Console:
    """Progress bars and logs go to stderr, so stdout stays clean for ``--json``."""
    return Console(stderr=True)
