"""Small data sets shared by the memorization tests: tiny IDX / CIFAR files and near-duplicates."""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np


def idx_bytes(arr: np.ndarray) -> bytes:
    """Encode a uint8 array in LeCun's IDX format (magic 00 00 08 ndim, big-endian sizes)."""
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    return head + arr.tobytes()


def tiny_images(n_per_class: int, classes=(0, 1, 2), side: int = 6, seed: int = 0):
    """Blobs: class c lights up column block c, plus noise; uint8 images and labels."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in classes:
        img = rng.integers(0, 60, size=(n_per_class, side, side))
        img[:, :, 2 * c: 2 * c + 2] += 150
        xs.append(img)
        ys += [c] * n_per_class
    x = np.concatenate(xs).clip(0, 255).astype(np.uint8)
    return x, np.array(ys, dtype=np.uint8)


def write_mnist_idx(folder: Path, n_train: int = 20, n_test: int = 8, gz: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, n, seed in (("train", n_train, 0), ("t10k", n_test, 1)):
        x, y = tiny_images(n, seed=seed)
        for name, arr in ((f"{stem}-images-idx3-ubyte", x), (f"{stem}-labels-idx1-ubyte", y)):
            data = idx_bytes(arr)
            if gz:
                (folder / f"{name}.gz").write_bytes(gzip.compress(data))
            else:
                (folder / name).write_bytes(data)
    return folder


def write_cifar(folder: Path, n: int = 6) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        labels = [k % 10 for k in range(n)]
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        data[:, :100] = np.array(labels)[:, None] * 25  # class-dependent first pixels
        with open(folder / name, "wb") as f:
            pickle.dump({b"data": data, b"labels": labels, b"batch": i}, f)
    return folder


def near_duplicates(n: int = 40, d: int = 20, eps: float = 1e-6, seed: int = 0):
    """n random points, and a copy of each moved by eps with the OPPOSITE label."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, d))
    y = np.where(rng.random(n) < 0.5, 1, -1)
    x2 = x + eps * rng.standard_normal((n, d))
    return np.concatenate([x, x2]), np.concatenate([y, -y])
