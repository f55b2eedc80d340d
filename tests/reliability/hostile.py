"""Damaged and hostile file contents shared by the reliability tests: a pickle that would run a
command if unpickled naively, and deeply nested JSON."""

from __future__ import annotations

import os
import pickle
from pathlib import Path


class RunsCommand:
    """Unpickled by plain ``pickle.load``, this calls ``os.system("touch <sentinel>")``."""

    def __init__(self, sentinel: Path):
        self.sentinel = sentinel

    def __reduce__(self):  # noqa: ANN204
        return os.system, (f"touch '{self.sentinel}'",)


def hostile_pickle(sentinel: Path, protocol: int = 2, wrap: bool = True) -> bytes:
    """A CIFAR-like batch whose ``data`` entry runs a command when a naive reader unpickles it."""
    obj = {b"data": RunsCommand(sentinel), b"labels": [0]} if wrap else RunsCommand(sentinel)
    return pickle.dumps(obj, protocol=protocol)


def deep_json(depth: int = 100_000) -> str:
    """JSON nested ``depth`` levels deep: Python's json raises RecursionError on it."""
    return "[" * depth + "]" * depth
