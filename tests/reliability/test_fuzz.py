"""Fuzz every file kind rulesfacts reads: truncated, junk, empty, wrong types, wrong shapes, out of
range, hostile pickles, deep nesting. Each damaged file, read through the command that reads it,
gives exit 2 and one line ``error: ...`` on stderr (no traceback), and no code from a file ever runs
(a sentinel file a hostile pickle would create stays absent)."""

from __future__ import annotations

import json
import pickle
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from rulesfacts.config.train import TrainConfig
from rulesfacts.training import rundir
from rulesfacts.training.callbacks import StopAt
from rulesfacts.training.trainer import train
from tests.cli_helpers import run_cli
from tests.memorize.helpers import idx_bytes, tiny_images, write_cifar, write_mnist_idx
from tests.model_helpers import edited_npz
from tests.reliability.hostile import RunsCommand, deep_json, hostile_pickle

CFG = TrainConfig(p=7, width=8, epochs=6, log_every=2, n_snapshots=2, fact_frac=0.2, device="cpu")
TRANSFORMER = CFG.replace(model="transformer", d_model=8, n_heads=2)
TIED = CFG.replace(model="tied", d_embed=6)
SENTINEL = "pwned"  # created by a hostile pickle if it ever ran


# ---------------------------------------------------------------- damage, as functions of (path, sentinel)
def truncated(path: Path, _: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 3 // 5])


def junk(path: Path, _: Path) -> None:
    path.write_bytes(b"\x00\xff\xfe junk \x80\x81" * 7)


def empty(path: Path, _: Path) -> None:
    path.write_bytes(b"")


def pickled(path: Path, sentinel: Path) -> None:
    path.write_bytes(hostile_pickle(sentinel, protocol=2))


def deep(path: Path, _: Path) -> None:
    path.write_text(deep_json())


def json_of(value: object) -> Callable[[Path, Path], None]:
    def write(path: Path, _: Path) -> None:
        path.write_text(value if isinstance(value, str) else json.dumps(value))
    write.__name__ = f"json {json.dumps(value)[:30]}"
    return write


def edit_json(change: Callable[[dict], None]) -> Callable[[Path, Path], None]:
    def write(path: Path, _: Path) -> None:
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))
    return write


def npz_with(**arrays: object) -> Callable[[Path, Path], None]:
    def write(path: Path, sentinel: Path) -> None:
        made = {k: (np.array([RunsCommand(sentinel)], dtype=object) if isinstance(v, str) and v == "hostile" else v)
                for k, v in arrays.items()}
        with open(path, "wb") as f:
            np.savez(f, **made)
    return write


def npz_edit(**changes: object) -> Callable[[Path, Path], None]:
    """The file's own arrays with ``changes`` (None: the array left out)."""
    def write(path: Path, sentinel: Path) -> None:
        npz_with(**edited_npz(path, changes))(path, sentinel)
    return write


def csv_cell(column: str, value: str, row: int = -1) -> Callable[[Path, Path], None]:
    def write(path: Path, _: Path) -> None:
        header, *rows = path.read_text().splitlines()
        cells = rows[row].split(",")
        cells[header.split(",").index(column)] = value
        rows[row] = ",".join(cells)
        path.write_text("\n".join([header, *rows]) + "\n")
    return write


def duplicate_last_row(path: Path, _: Path) -> None:
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[-1]]) + "\n")


def torch_file(obj_of: Callable[[dict, Path], object]) -> Callable[[Path, Path], None]:
    def write(path: Path, sentinel: Path) -> None:
        state = torch.load(path, weights_only=True)
        torch.save(obj_of(state, sentinel), path)
    return write


def sql(statement: str) -> Callable[[Path, Path], None]:
    def write(path: Path, _: Path) -> None:
        with sqlite3.connect(path) as conn:
            conn.execute(statement)
    return write


def text(content: str) -> Callable[[Path, Path], None]:
    def write(path: Path, _: Path) -> None:
        path.write_text(content)
    return write


# ---------------------------------------------------------------- the folders the commands read
@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sources")
    train(CFG, root / "run", progress=False)
    train(TRANSFORMER, root / "transformer", progress=False)
    train(TIED, root / "tied", progress=False)
    with pytest.raises(KeyboardInterrupt):
        train(CFG.replace(epochs=40), root / "unfinished", progress=False, callbacks=[StopAt(3)])
    from rulesfacts.sweep import run_sweep
    from rulesfacts.sweep.spec import parse_spec, spec_to_toml

    spec = parse_spec({"name": "fz", "base": {"p": 7, "width": 8, "epochs": 4, "log_every": 2, "n_snapshots": 0,
                                              "device": "cpu"}, "axes": {"wd": [0, 1]}, "execution": {"workers": 1}})
    run_sweep(spec, root / "sweep", progress=False)
    (root / "spec.toml").write_text(spec_to_toml(spec))
    write_cifar(root / "cifar", n=4)
    write_mnist_idx(root / "mnist")
    (root / "mnist_npz").mkdir()
    (x, y), (xt, yt) = tiny_images(6), tiny_images(3, seed=1)
    np.savez(root / "mnist_npz" / "mnist.npz", x_train=x, y_train=y, x_test=xt, y_test=yt)
    return {"root": root}


def first_snapshot(d: Path) -> Path:
    return sorted((d / rundir.SNAPSHOTS).glob("epoch_*.npz"))[-1]


def earliest_snapshot(d: Path) -> Path:
    return sorted((d / rundir.SNAPSHOTS).glob("epoch_*.npz"))[0]


def branch_from_earliest(d: Path, t: Path) -> list:
    """``train --from RUN@EPOCH`` at the earliest snapshot (its weights: the final state is not read)."""
    epoch = int(earliest_snapshot(d).stem.removeprefix("epoch_"))
    return ["train", "--from", f"{d}@{epoch}", "-o", t / "branch", "-q"]


def sweep_weights(d: Path) -> Path:
    return sorted((d / "runs").glob("*/weights.npz"))[0]


# kind → (source folder, the damaged file in it, the command reading it: f(folder, tmp) → argv)
def memorize(dataset: str) -> Callable[[Path, Path], list]:
    """The command that reads an image data set from the folder d."""
    return lambda d, t: ["memorize", "--dataset", dataset, "--data-dir", d, "--pair", "0", "1", "-o", t / "m", "-q"]


REPORT = lambda d, t: ["report", d, "-o", t / "r.html", "-q"]  # noqa: E731 - a table of small commands
KINDS: dict[str, tuple[str, Callable[[Path], Path], Callable[[Path, Path], list]]] = {
    "config.json": ("run", lambda d: d / rundir.CONFIG, REPORT),
    "summary.json": ("run", lambda d: d / rundir.SUMMARY, REPORT),
    "metrics.csv": ("run", lambda d: d / rundir.METRICS, REPORT),
    "weights.npz": ("run", lambda d: d / rundir.WEIGHTS, REPORT),
    "transformer weights.npz": ("transformer", lambda d: d / rundir.WEIGHTS, lambda d, t: ["analyze", d, "-q"]),
    "transformer snapshot": ("transformer", earliest_snapshot, branch_from_earliest),
    "tied weights.npz": ("tied", lambda d: d / rundir.WEIGHTS, REPORT),
    "tied snapshot": ("tied", earliest_snapshot, branch_from_earliest),
    "snapshot": ("run", first_snapshot, REPORT),
    "checkpoint.pt": ("unfinished", lambda d: d / rundir.CHECKPOINT, lambda d, t: ["train", "--resume", "-o", d, "-q"]),
    "spec.toml": ("spec.toml", lambda d: d, lambda d, t: ["sweep", d, "--dry-run", "-o", t / "o"]),
    "results.sqlite": ("sweep", lambda d: d / "results.sqlite", lambda d, t: ["phase", d, "-o", t / "p.png"]),
    "sweep weights.npz": ("sweep", sweep_weights, lambda d, t: ["report", d, "-o", t / "s.html", "-q"]),
    "CIFAR batch": ("cifar", lambda d: d / "data_batch_2", memorize("cifar10")),
    "IDX images": ("mnist", lambda d: d / "train-images-idx3-ubyte", memorize("mnist")),
    "IDX labels": ("mnist", lambda d: d / "t10k-labels-idx1-ubyte", memorize("mnist")),
    "mnist.npz": ("mnist_npz", lambda d: d / "mnist.npz", memorize("mnist")),
}

BYTES = [truncated, junk, empty, pickled]
DAMAGES: dict[str, list[Callable[[Path, Path], None]]] = {
    "config.json": [*BYTES, deep, json_of([]), json_of({"config": [1, 2]}), json_of({"config": {"p": "seven"}}),
                    json_of({"config": {"p": 11}}), edit_json(lambda d: d["config"].update(width=32)),
                    edit_json(lambda d: d["config"].update(lr=float("inf"))), json_of('{"config": {"p": NaN}}')],
    "summary.json": [truncated, junk, pickled, deep, json_of([]), json_of("done"),
                     edit_json(lambda d: d.update(test_acc=1e308)), edit_json(lambda d: d.update(test_acc="high")),
                     edit_json(lambda d: d.update(status="great")), edit_json(lambda d: d.update(seconds=-5)),
                     json_of('{"status": "completed", "train_acc": NaN}')],
    "metrics.csv": [*BYTES, duplicate_last_row, csv_cell("epoch", "-2", 0), csv_cell("test_acc", "1e308"),
                    csv_cell("train_acc", "nan"), csv_cell("train_loss", "inf"), csv_cell("test_acc", "high"),
                    csv_cell("norm_in", "-1"), csv_cell("epoch", "2.5")],
    "weights.npz": [*BYTES, npz_with(W_out=np.zeros((7, 8), np.float32)), npz_with(W_in=np.zeros((14, 8)),
                    W_out=np.zeros((8, 7))), npz_with(W_in=np.zeros(8), W_out=np.zeros(8)),
                    npz_with(W_in="hostile", W_out=np.zeros((7, 8))), npz_with(W_in=np.array(["a"] * 8),
                    W_out=np.zeros((7, 8)))],
    "snapshot": [*BYTES, npz_with(W_in=np.zeros((3, 3)), W_out=np.zeros((3, 3))), npz_with(W_in="hostile")],
    # p = 7, d_model = 8: embed (8, 8), W_Q (8, 8), ..., unembed (8, 7)
    "transformer weights.npz": [*BYTES, npz_edit(embed=np.zeros((3, 8))), npz_edit(W_Q=np.zeros((8, 4))),
                                npz_edit(unembed=None), npz_edit(W_K=np.array(["a"] * 8)), npz_edit(W_V="hostile"),
                                npz_edit(embed=np.zeros((12, 8)), unembed=np.zeros((8, 11))),  # a p = 11 run's
                                npz_with(W_in=np.zeros((8, 14)), W_out=np.zeros((7, 8)))],  # an MLP's
    "transformer snapshot": [truncated, junk, pickled, npz_edit(W_O=np.zeros(64)), npz_edit(pos=None),
                             npz_edit(b_mlp_in=np.array(["x"] * 32)),
                             npz_edit(embed=np.zeros((12, 8)), unembed=np.zeros((8, 11)))],
    # p = 7, d_embed = 6, width = 8: embed (7, 6), W_in (6, 8), W_out (8, 6)
    "tied weights.npz": [*BYTES, npz_edit(W_in=np.zeros((6, 9))), npz_edit(embed=None),
                         npz_edit(W_out=np.array(["a"] * 48).reshape(8, 6)), npz_edit(embed="hostile"),
                         npz_edit(embed=np.zeros((11, 6))),  # a p = 11 run's
                         npz_with(W_in=np.zeros((8, 14)), W_out=np.zeros((7, 8)))],  # an MLP's
    "tied snapshot": [truncated, junk, pickled, npz_edit(W_out=np.zeros((6, 8))), npz_edit(W_in=None),
                      npz_edit(embed=np.array([b"a"] * 42).reshape(7, 6))],
    "checkpoint.pt": [*BYTES,
                      torch_file(lambda s, _: {**s, "params": {k: torch.zeros(3, 3) for k in s["params"]}}),
                      torch_file(lambda s, _: {**s, "config": [1, 2]}),
                      torch_file(lambda s, _: {**s, "rows": 5}),
                      torch_file(lambda s, _: {**s, "opt": {"t": 1}}),
                      torch_file(lambda s, _: {**s, "epoch": -1}),
                      torch_file(lambda s, _: {**s, "rng": torch.zeros(3, dtype=torch.uint8)}),
                      torch_file(lambda s, sentinel: {**s, "seconds": RunsCommand(sentinel)}),
                      torch_file(lambda s, _: [s])],
    "spec.toml": [truncated, junk, pickled, text("[base]\np = 7\n[base]\n"), text("a = " + "[" * 5000 + "]" * 5000),
                  text("name = '..'\n[base]\np = 7\n"), text("name = 'a\\u0000b'\n"),
                  text("[axes]\nseed = {range = 1000000000}\n"), text("[axes]\nwd = [0, 0, 0.0, 1]\n"),
                  text("[base]\np = 'seven'\n"), text("[axes]\nseed = {range = [0, 5, 0]}\n"),
                  text("[execution]\nmax_runs = 0\n")],
    "results.sqlite": [truncated, junk, pickled, sql("UPDATE runs SET test_acc = 'abc'"),
                       sql("UPDATE runs SET train_acc = 7"), sql("UPDATE runs SET wd = 'x'"),
                       sql("DROP TABLE runs"), sql("UPDATE runs SET test_acc = 1e999")],
    "sweep weights.npz": [truncated, junk, pickled, npz_with(W_out=np.zeros((7, 8))),
                          npz_with(W_in="hostile", W_out=np.zeros((7, 8)))],
    "CIFAR batch": [truncated, junk, empty, pickled, text("hello"),
                    lambda p, s: p.write_bytes(pickle.dumps([1, 2, 3])),
                    lambda p, s: p.write_bytes(pickle.dumps({b"data": np.zeros((4, 100), np.uint8),
                                                             b"labels": [0] * 4})),
                    lambda p, s: p.write_bytes(hostile_pickle(s, protocol=4)),
                    lambda p, s: p.write_bytes(pickle.dumps({b"data": np.zeros((4, 3072), np.uint8), b"labels": [0]})),
                    lambda p, s: p.write_bytes(pickle.dumps({b"data": np.zeros((4, 3072)), b"labels": "abcd"}))],
    "IDX images": [truncated, junk, empty, pickled, lambda p, s: p.write_bytes(idx_bytes(np.zeros((3, 6, 6))))],
    "IDX labels": [truncated, junk, empty, pickled, lambda p, s: p.write_bytes(idx_bytes(np.zeros(2)))],
    "mnist.npz": [truncated, junk, empty, pickled, npz_with(x_train=np.zeros((2, 4))),
                  npz_with(x_train="hostile", y_train=np.zeros(2), x_test=np.zeros((2, 4)), y_test=np.zeros(2))],
}
CASES = [pytest.param(kind, i, id=f"{kind}-{i}") for kind, damages in DAMAGES.items() for i in range(len(damages))]


@pytest.mark.parametrize(("kind", "index"), CASES)
def test_damaged_file_is_one_line_and_runs_no_code(sources, tmp_path, capsys, kind, index):
    source, locate, command = KINDS[kind]
    folder = tmp_path / source
    src = sources["root"] / source
    (shutil.copytree if src.is_dir() else shutil.copy)(src, folder)
    sentinel = tmp_path / SENTINEL
    DAMAGES[kind][index](locate(folder), sentinel)
    before = sorted(tmp_path.rglob("*"))
    code, out, err = run_cli(command(folder, tmp_path), capsys)
    lines = err.strip().splitlines()
    assert code == 2 and lines and "Traceback" not in err, err
    assert lines[-1].startswith("error: ") and all(line.startswith("note: ") for line in lines[:-1]), err
    assert not sentinel.exists()
    assert sorted(tmp_path.rglob("*")) == before  # nothing written


def test_every_file_kind_is_fuzzed_with_every_kind_of_damage():
    """The table above covers each reader with truncation, junk and a hostile pickle at least."""
    for kind in KINDS:
        assert {truncated, junk, pickled} <= set(DAMAGES[kind]), kind
