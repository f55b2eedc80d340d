"""Run, sweep and theory folders shared by the report tests.

``analytic_run`` is written directly in the run-folder format (no training): its last snapshot
is Gromov's analytic network, whose answers are known exactly (every neuron a single cosine).
``trained_run`` and ``tiny_sweep`` come from the real trainer, kept tiny (p ≤ 11, width ≤ 24).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rulesfacts.config.train import TrainConfig
from rulesfacts.training import rundir

P, WIDTH = 13, 24
FRAMES = (0, 50, 100, 200)  # epochs of the snapshots; the weights move from random to analytic


def blend(t: float, p: int = P, width: int = WIDTH) -> dict[str, np.ndarray]:
    """(1 − t)·random + t·analytic weights: t = 1 is exactly Gromov's net."""
    from rulesfacts.analysis.analytic import analytic_weights

    target = analytic_weights(p, width, seed=1)
    rng = np.random.default_rng(7)
    noise = {k: rng.normal(0, 1, v.shape).astype(np.float32) for k, v in target.items()}
    return {k: (1 - t) * noise[k] + t * target[k] for k in target}


def write_fake_run(path, p: int = P, width: int = WIDTH, frames=FRAMES, fact_frac: float = 0.3) -> TrainConfig:
    cfg = TrainConfig(p=p, width=width, fact_frac=fact_frac, epochs=frames[-1], log_every=10, device="cpu")
    rundir.write_config(path, cfg)
    epochs = np.arange(0, frames[-1] + 1, 10)
    s = epochs / epochs[-1]
    rows = [{"epoch": int(e), "train_loss": 0.1 * (1 - x) + 1e-3, "train_acc": x, "clean_loss": 0.1 * (1 - x) + 1e-3,
             "clean_acc": x, "facts_loss": 0.1 * (1 - x) + 1e-3, "facts_memorized": x ** 2,
             "facts_recovered": 0.0, "test_loss": 0.1 * (1 - x) + 2e-3, "test_acc": x ** 3,
             "norm_in": 1.0, "norm_out": 1.0} for e, x in zip(epochs, s, strict=True)]
    rundir.write_metrics(path, rows)
    for e in frames:
        rundir.write_weights(rundir.snapshot_path(path, e), blend(e / frames[-1], p, width), np.float16)
    rundir.write_weights(path / rundir.WEIGHTS, blend(1.0, p, width))
    rundir.write_summary(path, {"status": "completed", "epochs": frames[-1], "train_acc": 1.0, "test_acc": 1.0,
                                "seconds": 1.5})
    return cfg


@pytest.fixture(scope="session")
def analytic_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("analytic-run")
    write_fake_run(path)
    return path


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    from rulesfacts.training.trainer import train

    path = tmp_path_factory.mktemp("trained") / "run"
    cfg = TrainConfig(p=11, width=24, epochs=60, log_every=5, n_snapshots=6, device="cpu", fact_frac=0.2)
    train(cfg, path, progress=False)
    return path


# Two small runs of the trainer, p = 23, N = 64, 400 epochs (seconds each): with α = 0.7 and weight
# decay 5 the net generalizes (test accuracy 1.0 by epoch ~90, every neuron a cosine); with α = 0.3,
# ξ = 0.3 and no decay it memorizes (train 1.0, test ≈ 0.02).
GENERALIZING = dict(p=23, width=64, epochs=400, log_every=5, n_snapshots=20, device="cpu", train_frac=0.7,
                    fact_frac=0.1, wd=5.0)
MEMORIZING = dict(GENERALIZING, train_frac=0.3, fact_frac=0.3, wd=0.0)


@pytest.fixture(scope="session")
def generalizing_run(tmp_path_factory):
    from rulesfacts.training.trainer import train

    path = tmp_path_factory.mktemp("gen") / "wd5"
    train(TrainConfig(**GENERALIZING), path, progress=False)
    return path


@pytest.fixture(scope="session")
def memorizing_run(tmp_path_factory):
    from rulesfacts.training.trainer import train

    path = tmp_path_factory.mktemp("mem") / "wd0"
    train(TrainConfig(**MEMORIZING), path, progress=False)
    return path


@pytest.fixture(scope="session")
def parity_run(tmp_path_factory):
    from rulesfacts.training.trainer import train

    path = tmp_path_factory.mktemp("parity") / "l1"
    cfg = TrainConfig(task="parity", n_bits=12, k=3, train_size=300, test_size=300, width=32, epochs=150,
                      log_every=5, n_snapshots=8, device="cpu", fact_frac=0.1, l1=1e-4, act="relu", loss="ce")
    train(cfg, path, progress=False)
    return path


@pytest.fixture(scope="session")
def tiny_sweep(tmp_path_factory):
    from rulesfacts.sweep import run_sweep
    from rulesfacts.sweep.spec import parse_spec

    spec = parse_spec({"name": "tiny", "base": {"p": 7, "width": 16, "epochs": 40, "log_every": 10,
                                                 "n_snapshots": 2, "device": "cpu"},
                       "axes": {"train_frac": [0.4, 0.6], "fact_frac": [0.0, 0.3], "wd": [0, 5]},
                       "execution": {"workers": 1}})
    out = tmp_path_factory.mktemp("sweep") / "tiny"
    run_sweep(spec, out, progress=False)
    return out


THEORY_TOML = """
[theory]
learner = "linear"
loss = "square"
fact_frac = [0.1, 0.3]
lam = [0.01, 0.1, 1.0]
alpha_min = 0.2
alpha_max = 5.0
n_alpha = 8
"""


def have_theory() -> bool:
    try:
        from rulesfacts.theory import theory_curve  # noqa: F401
    except ImportError:
        return False
    return True


needs_theory = pytest.mark.skipif(not have_theory(), reason="rulesfacts.theory.theory_curve has not landed yet")


@pytest.fixture(scope="session")
def theory_spec(tmp_path_factory):
    path = tmp_path_factory.mktemp("theory") / "raf.toml"
    path.write_text(THEORY_TOML)
    return path


def metrics_frame(path) -> pd.DataFrame:
    return rundir.read_metrics(path)
