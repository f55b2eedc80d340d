"""Every file kind the tool reads, missing, truncated or of the wrong format, gives a one-line
``DataFileError`` that names the file — through the Python API and through the CLI."""

from __future__ import annotations

import gzip
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from rulesfacts import load_run
from rulesfacts.cli.main import main
from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import DataFileError
from rulesfacts.training import rundir
from rulesfacts.training.trainer import train

CFG = TrainConfig(p=7, width=8, epochs=6, log_every=2, n_snapshots=2, fact_frac=0.2, device="cpu")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("runs") / "done"
    train(CFG, d, progress=False)
    return d


@pytest.fixture
def run_dir(finished_run, tmp_path) -> Path:
    d = tmp_path / "run"
    shutil.copytree(finished_run, d)
    return d


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 3 // 5])


def garbage(path: Path) -> None:
    path.write_bytes(b"\x00\xffthis is not the right format\n" * 3)


def missing(path: Path) -> None:
    path.unlink()


DAMAGE = {"missing": missing, "truncated": truncate, "wrong format": garbage}


def snapshot_of(run_dir: Path) -> Path:
    return sorted((run_dir / rundir.SNAPSHOTS).glob("epoch_*.npz"))[-1]


# file → how a user reads it
READERS = {
    "config.json": (lambda d: d / rundir.CONFIG, lambda d: load_run(d)),
    "metrics.csv": (lambda d: d / rundir.METRICS, lambda d: load_run(d)),
    "summary.json": (lambda d: d / rundir.SUMMARY, lambda d: load_run(d)),
    "weights.npz": (lambda d: d / rundir.WEIGHTS, lambda d: load_run(d).weights()),
    "snapshot": (snapshot_of, lambda d: load_run(d).snapshot(load_run(d).snapshot_epochs()[-1])),
}


# a missing summary.json reads as a run still going, and a missing snapshot is simply not listed
CASES = [(k, d) for k in sorted(READERS) for d in sorted(DAMAGE)
         if not (d == "missing" and k in ("summary.json", "snapshot"))]


@pytest.mark.parametrize(("kind", "damage"), CASES)
def test_damaged_run_file_names_the_file(run_dir, kind, damage):
    locate, read = READERS[kind]
    path = locate(run_dir)
    DAMAGE[damage](path)
    with pytest.raises(DataFileError) as info:
        read(run_dir)
    msg = str(info.value)
    assert msg.startswith(str(path)) and "\n" not in msg, msg


@pytest.mark.parametrize(("content", "problem"), [
    ('{"config": {"p": -3}}', "invalid run config: p=-3 is not allowed"),
    ('{"config": {"lr": 0.1, "colour": "red"}}', "invalid run config: colour='red' is not allowed: unknown field"),
    ("[1, 2]", "not a rulesfacts run config"),
])
def test_config_json_with_bad_values(run_dir, content, problem):
    (run_dir / rundir.CONFIG).write_text(content)
    with pytest.raises(DataFileError, match=problem):
        load_run(run_dir)


def test_metrics_csv_cut_at_a_row_or_with_holes(run_dir):
    path = run_dir / rundir.METRICS
    text = path.read_text()
    path.write_text(text[: text.rindex(",")] + "\n")  # last row loses its last cell, still "parses"
    with pytest.raises(DataFileError, match="truncated metrics CSV"):
        load_run(run_dir)
    header, *rows = text.splitlines()
    cells = rows[-1].split(",")
    cells[header.split(",").index("test_acc")] = ""
    path.write_text("\n".join([header, *rows[:-1], ",".join(cells)]) + "\n")
    with pytest.raises(DataFileError, match="'test_acc' has empty cells"):
        load_run(run_dir)


@pytest.mark.parametrize("damage", ["truncated", "wrong format", "foreign"])
def test_damaged_checkpoint_on_resume_via_cli(run_dir, capsys, damage):
    ckpt = run_dir / rundir.CHECKPOINT
    torch.save({"something": "else"}, ckpt)
    if damage != "foreign":
        DAMAGE[damage](ckpt)
    (run_dir / rundir.WEIGHTS).unlink()  # an unfinished run: the checkpoint is what resume reads
    before = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*")}
    with pytest.raises(SystemExit) as info:
        main(["train", "--resume", "-o", str(run_dir), "-q", "--json"])
    err = capsys.readouterr().err.strip()
    assert info.value.code == 2 and err.count("\n") == 0
    assert err.startswith(f"error: {ckpt}: ") and ("corrupt checkpoint" in err or "not a rulesfacts checkpoint" in err)
    assert {p: p.stat().st_mtime_ns for p in run_dir.rglob("*")} == before  # nothing touched


# ---------------------------------------------------------------- sweep files (sweep engineer's readers)


def test_sweep_results_table_damaged(tmp_path):
    from rulesfacts.sweep.store import TABLE, load_results

    with pytest.raises(DataFileError, match="results.sqlite: file not found"):
        load_results(tmp_path)
    (tmp_path / TABLE).write_bytes(b"SQLite format 3\x00" + b"\x00" * 40)  # header, then nothing
    with pytest.raises(DataFileError) as info:
        load_results(tmp_path)
    assert str(info.value).startswith(str(tmp_path / TABLE))
    garbage(tmp_path / TABLE)
    with pytest.raises(DataFileError) as info:
        load_results(tmp_path)
    assert str(info.value).startswith(str(tmp_path / TABLE))


@pytest.mark.parametrize(("text", "problem"), [
    ("[base\np = 11", "not valid TOML"),
    (None, ""),
])
def test_sweep_spec_damaged(tmp_path, capsys, text, problem):
    spec = tmp_path / "spec.toml"
    if text is not None:
        spec.write_text(text)
    with pytest.raises(SystemExit) as info:
        main(["sweep", str(spec), "-o", str(tmp_path / "out"), "--json"])
    err = capsys.readouterr().err.strip()
    assert info.value.code == 2 and err.startswith("error: ") and "\n" not in err
    assert str(spec) in err and problem in err
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- image data files (memorize engineer's readers)


def write_idx(path: Path, array: np.ndarray) -> None:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_idx_files_damaged(tmp_path):
    from rulesfacts.tasks.images import read_idx

    good = tmp_path / "train-images-idx3-ubyte"
    write_idx(good, np.arange(2 * 3 * 3).reshape(2, 3, 3))
    assert read_idx(good).shape == (2, 3, 3)
    for damage in (truncate, garbage):
        bad = tmp_path / "bad-idx3-ubyte"
        shutil.copy(good, bad)
        damage(bad)
        with pytest.raises(DataFileError) as info:
            read_idx(bad)
        assert str(info.value).startswith(str(bad))
    gz = tmp_path / "bad.gz"
    gz.write_bytes(gzip.compress(good.read_bytes())[:20])
    with pytest.raises(DataFileError) as info:
        read_idx(gz)
    assert str(info.value).startswith(str(gz))


@pytest.mark.parametrize("dataset", ["mnist", "cifar10"])
def test_memorize_cli_with_missing_or_damaged_data(tmp_path, capsys, dataset):
    data = tmp_path / "data"
    data.mkdir()
    if dataset == "mnist":
        write_idx(data / "train-images-idx3-ubyte", np.zeros((4, 2, 2)))
        (data / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08")  # truncated header
    else:
        (data / "data_batch_1").write_bytes(b"not a pickle")
    with pytest.raises(SystemExit) as info:
        main(["memorize", "--dataset", dataset, "--data-dir", str(data), "--pair", "0", "1", "-q", "--json",
              "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert info.value.code == 2 and err.startswith(f"error: {data}/") and "\n" not in err, err
    assert not (tmp_path / "out").exists()


def test_a_missing_spec_file_is_named_in_full_however_long_its_path(tmp_path, capsys):
    spec = tmp_path.joinpath(*["a-rather-long-folder-name"] * 8) / "spec.toml"
    with pytest.raises(SystemExit) as info:
        main(["sweep", str(spec), "--json"])
    err = capsys.readouterr().err.strip()
    from rulesfacts.sweep.spec import preset_names

    assert info.value.code == 2 and err == (f"error: {spec}: file not found (a sweep spec is a TOML file or a "
                                            f"preset name: {', '.join(preset_names())})")
