"""``rulesfacts memorize``: --json contract, files the test writes itself, one-line errors."""

import json
import re

import pandas as pd
import pytest

from tests.cli_helpers import run_cli as run_shared
from tests.memorize.helpers import write_cifar, write_mnist_idx

KEYS = {"train_acc", "test_acc", "params", "depth", "seconds"}


def run_cli(args, capsys):
    return run_shared(["memorize", *args], capsys)


@pytest.mark.parametrize("method", ["m1", "m2", "m3", "mlp"])
def test_mnist_pair_from_a_tiny_idx_file(tmp_path, capsys, method):
    write_mnist_idx(tmp_path / "mnist", n_train=15, n_test=6, gz=method == "m2")
    code, out, err = run_cli(["--dataset", "mnist", "--data-dir", str(tmp_path / "mnist"), "--pair", "1", "2",
                              "--method", method, "--json", "-q"], capsys)
    assert code == 0, err
    summary = json.loads(out)
    assert KEYS <= summary.keys()
    assert summary["train_acc"] == 1.0 and summary["n_train"] == 30 and summary["n_test"] == 12


def test_digits_default_and_cifar(tmp_path, capsys):
    code, out, err = run_cli(["--pair", "1", "7", "--method", "m2", "--n-train", "30", "--json"], capsys)
    assert code == 0 and json.loads(out)["train_acc"] == 1.0 and json.loads(out)["n_train"] == 60
    assert "note: '--n-train' is deprecated, use '--train-per-class'" in err  # the old flag still works
    write_cifar(tmp_path / "c")
    code, out, err = run_cli(["--dataset", "cifar10", "--data-dir", str(tmp_path / "c"), "--pair", "0", "1",
                              "--method", "m1", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["train_acc"] == 1.0


def test_all_pairs_writes_table_csv_and_heatmap(tmp_path, capsys):
    write_mnist_idx(tmp_path / "m", n_train=10, n_test=4)
    out_dir = tmp_path / "out"
    code, out, err = run_cli(["--dataset", "mnist", "--data-dir", str(tmp_path / "m"), "--all-pairs",
                              "--methods", "m1,m2,m3", "--out", str(out_dir), "--json"], capsys)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["n_pairs"] == 3 and summary["m1_train_acc"] == 1.0
    df = pd.read_csv(out_dir / "memorize-pairs-mnist.csv")
    assert len(df) == 9 and (df["train_acc"] == 1.0).all()
    assert "| 0-1 |" in (out_dir / "memorize-pairs-mnist.md").read_text()
    assert (out_dir / "memorize-pairs-mnist.png").stat().st_size > 1000


def test_width_and_size_curves(tmp_path, capsys):
    code, out, err = run_cli(["--pair", "3", "8", "--width-curve", "2,64", "--train-per-class", "40", "--out",
                              str(tmp_path), "--json", "-q"], capsys)
    assert code == 0, err
    df = pd.read_csv(tmp_path / "memorize-width-digits.csv")
    assert set(df["bottleneck"]) == {1, 2, 64} and (df["train_acc"] == 1.0).all()
    code, out, err = run_cli(["--pair", "3", "8", "--size-curve", "5,10", "--methods", "m1,m2", "--out",
                              str(tmp_path), "--json", "-q"], capsys)
    assert code == 0, err
    assert json.loads(out)["min_train_acc"] == 1.0
    assert (tmp_path / "memorize-size-digits.png").is_file()


@pytest.mark.parametrize("setup, args, message", [
    (None, ["--dataset", "mnist", "--pair", "1", "2"], "rulesfacts data get mnist"),
    ("empty", ["--dataset", "mnist", "--pair", "1", "2"], "train-images-idx3-ubyte"),
    ("fact_frac", ["--dataset", "mnist", "--pair", "1", "2"], "not an IDX file"),
    ("truncated", ["--dataset", "mnist", "--pair", "1", "2"], "truncated"),
    ("idx", ["--dataset", "mnist", "--pair", "1", "5"], "pair\\[1\\]=5"),
    (None, ["--pair", "1", "7", "--method", "m9"], "method='m9'"),
    (None, ["--dataset", "svhn", "--pair", "1", "7"], "dataset='svhn'"),
    (None, ["--method", "m1"], "pair"),
    (None, ["--pair", "1", "7", "--size-curve", "a,b"], "size_curve"),
    (None, ["--pair", "1", "7", "--normalize", "zca"], "normalize"),
    ("empty", ["--dataset", "mnist", "--all-pairs"], "train-images-idx3-ubyte"),
    (None, ["--all-pairs", "--train-per-class", "0"], "train_per_class=0"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch, setup, args, message):
    monkeypatch.setenv("RULESFACTS_DATA", str(tmp_path / "empty-cache"))  # never the user's own cache
    folder = tmp_path / "d"
    if setup:
        folder.mkdir()
    if setup in ("fact_frac", "truncated", "idx"):
        write_mnist_idx(folder)
        target = folder / "train-images-idx3-ubyte"
        if setup == "fact_frac":
            target.write_bytes(b"PK\x03\x04 this is a zip, not IDX")
        elif setup == "truncated":
            target.write_bytes(target.read_bytes()[:-7])
    extra = ["--data-dir", str(folder)] if setup else []
    out_dir = tmp_path / "o"
    code, out, err = run_cli([*args, *extra, "--json", "--out", str(out_dir)], capsys)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert re.search(message, err), err
    assert not out_dir.exists()  # nothing half-written
