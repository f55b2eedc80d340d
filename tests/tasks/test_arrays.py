"""A user's own data: the readers (npz, npy pair, csv) and their one-line errors, the split, and a
generated .npz end to end: train, sweep, report, memscore."""

import json

import numpy as np
import pytest

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError, DataFileError
from rulesfacts.io import read_arrays
from rulesfacts.tasks.arrays import arrays_split
from tests.cli_helpers import run_cli


def make_data(n=120, features=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features))
    y = np.where(x[:, 0] + x[:, 1] > 0, 7, 3)  # labels need not be 0..C-1
    facts = np.zeros(n, bool)
    facts[:10] = True
    y[:10] = np.where(y[:10] == 7, 3, 7)  # the known facts: labels against the rule
    return x, y, facts


def test_npz_npy_and_csv_read_the_same_arrays(tmp_path):
    x, y, facts = make_data()
    np.savez(tmp_path / "d.npz", x=x, y=y, facts=facts)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "facts.npy", facts)
    cols = {f"f{i}": x[:, i] for i in range(x.shape[1])}
    import pandas as pd

    pd.DataFrame({**cols, "y": y, "facts": facts}).to_csv(tmp_path / "d.csv", index=False)
    for name in ("d.npz", "x.npy", "d.csv"):
        a = read_arrays(tmp_path / name)
        np.testing.assert_allclose(a["x"], x, rtol=1e-15)
        np.testing.assert_array_equal(a["y"], y)
        np.testing.assert_array_equal(a["facts"], facts)


@pytest.mark.parametrize(("content", "needle"), [
    ({"x": np.zeros((5, 2))}, "no array 'y'"),
    ({"x": np.zeros((5, 2)), "y": np.zeros(4)}, "one label per row"),
    ({"x": np.full((5, 2), np.nan), "y": np.zeros(5)}, "finite numeric"),
    ({"x": np.zeros((5, 2)), "y": np.full(5, 0.5)}, "integer class labels"),
    ({"x": np.zeros((5, 2)), "y": np.zeros(5), "facts": np.zeros(3)}, "facts"),
    ({"x": np.zeros((5, 2)), "y": np.zeros(5), "x_test": np.zeros((2, 2))}, "together"),
])
def test_bad_files_are_one_line_errors_naming_the_file(tmp_path, content, needle):
    path = tmp_path / "bad.npz"
    np.savez(path, **content)
    with pytest.raises(DataFileError) as e:
        read_arrays(path)
    assert needle in str(e.value) and "bad.npz" in str(e.value) and "\n" not in str(e.value)


def test_unreadable_and_unknown_files(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    (tmp_path / "d.txt").write_text("1 2 3")
    for name in ("junk.npz", "d.txt", "missing.npz"):
        with pytest.raises(DataFileError):
            read_arrays(tmp_path / name)
    with pytest.raises(ConfigError) as e:
        TrainConfig(task="arrays")
    assert e.value.field == "data_path"


def test_split_holds_out_test_frac_keeps_known_facts_and_injects_more(tmp_path):
    x, y, facts = make_data()
    np.savez(tmp_path / "d.npz", x=x, y=y, facts=facts)
    s = arrays_split(str(tmp_path / "d.npz"), 0.25, 0.0, "wrong", seed=1)
    assert s.n_test == 30 and s.n_train == 90 and s.n_classes == 2
    # every row lands once, labels mapped 3 → 0 and 7 → 1
    rows = {tuple(r) for r in np.concatenate([s.x_train, s.x_test]).round(5)}
    assert len(rows) == 120
    assert set(np.unique(s.y_train)) == {0, 1}
    known = s.is_fact.sum()
    s2 = arrays_split(str(tmp_path / "d.npz"), 0.25, 0.5, "wrong", seed=1)
    clean = s.n_train - known
    assert s2.is_fact.sum() == known + int(0.5 * clean)
    new = s2.is_fact & ~s.is_fact
    assert (s2.y_train[new] != s2.y_train_true[new]).all()


def test_own_npz_end_to_end_train_sweep_report_memscore(tmp_path, capsys):
    x, y, facts = make_data(n=200, features=8)
    data = tmp_path / "mine.npz"
    np.savez(data, x=x, y=y, facts=facts)
    common = ["--task", "arrays", "--data-path", str(data), "--width", "32", "--act", "relu", "--loss", "ce",
              "--epochs", "60"]
    code, out, _ = run_cli(["train", *common, "-o", str(tmp_path / "run"), "--json", "-q"], capsys)
    assert code == 0
    summary = json.loads(out)
    # the file's facts that fall in train, plus fact_frac (default 0.35) of the other training labels
    assert summary["n_facts"] == arrays_split(str(data), 0.2, 0.35, "wrong", 0).is_fact.sum()
    code, _, _ = run_cli(["report", str(tmp_path / "run"), "--json"], capsys)
    assert code == 0 and (tmp_path / "run" / "report.html").is_file()
    spec = tmp_path / "mine.toml"
    spec.write_text(f'name = "mine"\n[base]\ntask = "arrays"\ndata_path = "{data}"\nwidth = 16\nact = "relu"\n'
                    'loss = "ce"\nepochs = 20\nlog_every = 10\nn_snapshots = 0\n[axes]\nfact_frac = [0.0, 0.2]\n'
                    'wd = [0, 1]\n[execution]\nworkers = 1\n')
    code, out, _ = run_cli(["sweep", str(spec), "--out", str(tmp_path / "sw"), "--json", "-q"], capsys)
    assert code == 0 and json.loads(out)["runs_done"] == 4
    code, out, _ = run_cli(["memscore", *common, "--members", "4", "-o", str(tmp_path / "run"), "--json", "-q"],
                           capsys)
    assert code == 0
    ms = json.loads(out)
    assert ms["n_train"] == summary["n_train"] and ms["roc_auc"] is not None
