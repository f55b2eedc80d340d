"""A run's weights.npz and snapshots, checked against what its model declares (``member_shapes``)
for every model: the files a run writes have exactly the declared arrays, and a damaged or foreign
file is one ``DataFileError`` naming the file, the array and the shape expected."""

from __future__ import annotations

import numpy as np
import pytest

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import DataFileError
from rulesfacts.models import MODEL_CLASSES
from rulesfacts.tasks import REGISTRY, make_split
from rulesfacts.training import rundir
from rulesfacts.training.trainer import train
from tests.model_helpers import edited_npz

SHORT = {"epochs": 4, "log_every": 2, "n_snapshots": 2, "device": "cpu"}
RAF = {"task": "raf", "d": 10, "test_size": 20, "loss": "square", "epochs": 2, "log_every": 1, "n_snapshots": 1,
       "device": "cpu"}
CONFIGS = {
    "mlp": TrainConfig(p=7, width=8, **SHORT),
    "mlp bias batchnorm": TrainConfig(p=7, width=8, bias=True, batchnorm=True, act="relu", **SHORT),
    "mlp parity": TrainConfig(task="parity", n_bits=6, k=2, train_size=20, test_size=10, width=4, act="relu", **SHORT),
    "transformer": TrainConfig(p=7, model="transformer", d_model=8, n_heads=2, **SHORT),
    "tied": TrainConfig(p=7, model="tied", d_embed=6, width=8, **SHORT),
    "tied circle": TrainConfig(p=7, model="tied", embed="circle", d_embed=2, width=5, **SHORT),
    "linear": TrainConfig(model="linear", **RAF),
    "rf": TrainConfig(model="rf", act="relu", kappa=1.5, **RAF),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, rundir.Run]:
    root = tmp_path_factory.mktemp("runs")
    for name, cfg in CONFIGS.items():
        train(cfg, root / name.replace(" ", "-"), progress=False)
    return {name: rundir.load_run(root / name.replace(" ", "-")) for name in CONFIGS}


@pytest.mark.parametrize("name", CONFIGS)
def test_every_model_writes_the_weights_it_declares(runs, name):
    """The final weights and every snapshot hold exactly the declared arrays, with the declared
    shapes both as a reader knows them (the config and the task's ``dims``) and with the drawn
    split's sizes (as the model was built)."""
    run, cfg = runs[name], CONFIGS[name]
    split = make_split(cfg)
    built = MODEL_CLASSES[cfg.model].member_shapes(cfg, split.vocab or split.x_train.shape[1], split.n_classes)
    assert rundir.weight_shapes(cfg) == built
    files = [run.weights(), *(run.snapshot(e) for e in run.snapshot_epochs())]
    assert len(files) >= 2
    for weights in files:
        assert {k: v.shape for k, v in weights.items()} == built


@pytest.mark.parametrize("cfg", [TrainConfig(p=7), TrainConfig(p=11, op="mul", pairs="unordered"),
                                 TrainConfig(task="raf", d=13, test_size=5), TrainConfig(task="parity", n_bits=9, k=2)],
                         ids=["modular", "modular unordered", "raf", "parity"])
def test_a_tasks_declared_dims_are_its_splits(cfg):
    split = make_split(cfg)
    assert REGISTRY[cfg.task].dims(cfg) == (split.vocab or split.x_train.shape[1], split.n_classes)


def damaged(path, **changes):
    """Rewrite the npz at ``path`` with ``changes`` (None: the array left out)."""
    arrays = edited_npz(path, changes)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


TIED_LAYOUT = "embed (7, 6), W_in (6, 8), W_out (8, 6)"
CASES = [
    # (run, which file, damage, the problem named)
    ("tied", "weights", {"W_in": np.zeros((6, 9))}, f"W_in has shape (6, 9), not the (6, 8) of this run's tied "
                                                    f"(expected {TIED_LAYOUT})"),
    ("tied", "weights", {"embed": np.zeros((11, 6))}, f"embed has shape (11, 6), not the (7, 6) of this run's tied "
                                                      f"(expected {TIED_LAYOUT})"),
    ("tied", "snapshot", {"embed": None}, f"not a weights file of this run's tied (no embed; expected {TIED_LAYOUT})"),
    ("tied", "weights", {"W_out": np.array(["a"] * 48).reshape(8, 6)},
     f"not a weights file (W_out is not a numeric array but <U1; expected {TIED_LAYOUT})"),
    ("transformer", "weights", {"unembed": np.zeros((8, 11))}, "unembed has shape (8, 11), not the (8, 7) of this "
                                                               "run's transformer"),
    ("transformer", "snapshot", {"W_mlp_in": np.zeros(256)}, "W_mlp_in has shape (256,), not the (8, 32) of this "
                                                             "run's transformer"),
    ("transformer", "weights", {"b_mlp_out": None}, "not a weights file of this run's transformer (no b_mlp_out; "
                                                    "expected embed (8, 8), pos (3, 8), W_Q (8, 8)"),
    ("linear", "weights", {"a": np.zeros(15)}, "a has shape (15,), not the (10,) of this run's linear "
                                               "(expected a (10,))"),
    ("rf", "weights", {"a": np.zeros((15, 1))}, "a has shape (15, 1), not the (15,) of this run's rf "
                                                "(expected a (15,))"),
    ("rf", "snapshot", {"a": None, "W_in": np.zeros((8, 10))}, "not a weights file of this run's rf (no a; expected "
                                                                "a (15,))"),
    ("mlp bias batchnorm", "weights", {"bn_var": None}, "not a weights file of this run's mlp (no bn_var; expected "
                                                        "W_in (8, 14), W_out (7, 8), b_in (8,), b_out (7,), "
                                                        "bn_weight (8,), bn_bias (8,), bn_mean (8,), bn_var (8,))"),
]


@pytest.mark.parametrize(("name", "which", "changes", "problem"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_a_damaged_or_foreign_weights_file_names_the_file_the_array_and_the_shape(runs, tmp_path, name, which,
                                                                                 changes, problem):
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(runs[name].path, folder)
    run = rundir.load_run(folder)
    epoch = run.snapshot_epochs()[0]
    path = folder / rundir.WEIGHTS if which == "weights" else rundir.snapshot_path(folder, epoch)
    damaged(path, **changes)
    with pytest.raises(DataFileError) as e:
        run.weights() if which == "weights" else run.snapshot(epoch)
    assert e.value.path == path and str(e.value).startswith(f"{path}: {problem}")


def test_a_file_without_the_data_sizes_is_checked_on_the_configs():
    """A task that does not declare its inputs and classes (``dims`` None: arrays, images) leaves
    those axes free; the config's sizes are still checked."""
    cfg = TrainConfig(task="images", width=5)
    assert REGISTRY["images"].dims is None
    assert rundir.weight_shapes(cfg) == {"W_in": (5, None), "W_out": (None, 5)}
    assert rundir.shape_words((5, None)) == "(5, any)" and rundir.shape_words((3,)) == "(3,)"
