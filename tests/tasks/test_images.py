"""Image data readers: IDX (plain and gzip), npz, CIFAR batches, pairs and normalisation."""

import gzip

import numpy as np
import pytest

from rulesfacts.errors import ConfigError, DataFileError
from rulesfacts.tasks.images import load_dataset, make_pair, read_idx
from tests.memorize.helpers import idx_bytes, tiny_images, write_cifar, write_mnist_idx


def test_idx_round_trip_plain_and_gzip(tmp_path):
    x, _ = tiny_images(5)
    (tmp_path / "a-idx3-ubyte").write_bytes(idx_bytes(x))
    (tmp_path / "b-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(x)))
    assert np.array_equal(read_idx(tmp_path / "a-idx3-ubyte"), x)
    assert np.array_equal(read_idx(tmp_path / "b-idx3-ubyte.gz"), x)


@pytest.mark.parametrize("content, problem", [
    (b"\x01\x02\x03\x04rest", "not an IDX file"),
    (bytes([0, 0, 8, 3, 0, 0, 0, 2]), "truncated IDX header"),
    (bytes([0, 0, 8, 1, 0, 0, 0, 9, 1, 2, 3]), "needs 9"),
])
def test_corrupt_idx_names_the_file_and_the_problem(tmp_path, content, problem):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(DataFileError, match=problem) as e:
        read_idx(path)
    assert str(path) in str(e.value)


def test_bad_gzip_is_a_data_file_error(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(DataFileError, match="IDX"):
        read_idx(path)


def test_mnist_from_idx_folder_matches_what_was_written(tmp_path):
    write_mnist_idx(tmp_path, n_train=7, n_test=3, gz=True)
    data = load_dataset("mnist", tmp_path)
    x, y = tiny_images(7, seed=0)
    assert np.array_equal(data.x_train, x.reshape(len(x), -1).astype(float))
    assert np.array_equal(data.y_train, y)
    assert data.classes == [0, 1, 2] and data.dim == 36


def test_npz_and_missing_arrays(tmp_path):
    x, y = tiny_images(4)
    np.savez(tmp_path / "fashion-mnist.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    assert load_dataset("fashion", tmp_path).x_test.shape == (12, 36)
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=y)
    with pytest.raises(DataFileError, match="lacks arrays"):
        load_dataset("mnist", tmp_path)
    (tmp_path / "mnist.npz").write_bytes(b"garbage")
    with pytest.raises(DataFileError, match="not a valid .npz"):
        load_dataset("mnist", tmp_path)


def test_missing_files_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("RULESFACTS_DATA", str(tmp_path / "cache"))
    with pytest.raises(DataFileError, match="train-images-idx3-ubyte.*mnist.npz"):
        load_dataset("mnist", tmp_path)
    with pytest.raises(DataFileError, match="folder not found"):
        load_dataset("mnist", tmp_path / "nope")
    with pytest.raises(DataFileError, match="cache/cifar10: folder not found: download cifar10 with `rulesfacts data get"):  # noqa: E501
        load_dataset("cifar10", None)  # no folder given: the cache folder, and how to fill it
    with pytest.raises(DataFileError, match="data_batch_1.*CIFAR-10 python batch"):
        load_dataset("cifar10", tmp_path)


def test_cifar_batches_and_a_corrupt_one(tmp_path):
    write_cifar(tmp_path / "cifar-10-batches-py", n=6)
    data = load_dataset("cifar10", tmp_path)
    assert data.x_train.shape == (30, 3072) and data.x_test.shape == (6, 3072)
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(b"\x80garbage")
    with pytest.raises(DataFileError, match="test_batch: not a CIFAR-10 python batch"):
        load_dataset("cifar10", tmp_path)


def test_digits_split_is_stratified_and_disjoint():
    data = load_dataset("digits")
    assert data.dim == 64 and len(data.y_train) + len(data.y_test) == 1797
    for c in range(10):
        n_tr, n_te = (data.y_train == c).sum(), (data.y_test == c).sum()
        assert abs(n_te / (n_tr + n_te) - 0.3) < 0.01
    rows = {r.tobytes() for r in data.x_train}
    assert sum(r.tobytes() in rows for r in data.x_test) < 5  # sklearn digits has a few exact repeats


def test_pair_labels_sizes_and_normalisations():
    data = load_dataset("digits")
    t = make_pair(data, 3, 8, train_per_class=20, test_per_class=5)
    assert sorted(np.unique(t.y_train)) == [-1, 1] and (t.y_train == 1).sum() == 20 and len(t.y_test) == 10
    assert 0 <= t.x_train.min() and t.x_train.max() <= 1  # "unit": pixels / 16
    s = make_pair(data, 3, 8, normalize="standard")
    assert np.allclose(s.x_train.mean(0), 0) and np.allclose(s.x_train.std(0)[s.x_train.std(0) > 0], 1)
    l2 = make_pair(data, 3, 8, normalize="l2")
    assert np.allclose(np.linalg.norm(l2.x_test, axis=1), 1)
    with pytest.raises(ConfigError, match="pair"):
        make_pair(data, 3, 3)
    with pytest.raises(ConfigError, match="normalize"):
        make_pair(data, 3, 8, normalize="zca")
    with pytest.raises(ConfigError, match="pair\\[1\\]"):
        make_pair(data, 3, 11)


def test_mnist1d_is_generated_not_downloaded(monkeypatch):
    import requests

    monkeypatch.setattr(requests, "get", lambda *a, **k: pytest.fail("mnist1d tried to download"))
    state = np.random.get_state()[1].copy()
    data = load_dataset("mnist1d")
    assert data.x_train.shape == (4000, 40) and data.x_test.shape == (1000, 40)
    assert data.classes == list(range(10))
    assert np.array_equal(np.random.get_state()[1], state)  # the global RNG is left alone


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_cifar_batch_that_would_run_code_is_refused_and_nothing_runs(tmp_path, protocol):
    """A batch whose ``data`` entry's ``__reduce__`` calls os.system: plain ``pickle.load`` would
    create the sentinel file; the CIFAR reader refuses the batch before anything is called."""
    from tests.reliability.hostile import hostile_pickle

    folder = write_cifar(tmp_path / "cifar-10-batches-py", n=6)
    sentinel = tmp_path / "pwned"
    (folder / "data_batch_3").write_bytes(hostile_pickle(sentinel, protocol))
    with pytest.raises(DataFileError, match=r"data_batch_3: .*posix\.system.*refused"):
        load_dataset("cifar10", tmp_path)
    assert not sentinel.exists()


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_cifar_batches_of_every_pickle_protocol_and_numpy_1_names_load(tmp_path, protocol):
    """The restricted unpickler still reads what real batches hold: protocol 2 (Python 2, as
    shipped), 4 and 5, with numpy 2's ``numpy._core`` or numpy 1's ``numpy.core`` module names."""
    import pickle

    folder = write_cifar(tmp_path / "cifar-10-batches-py", n=6)
    expected = load_dataset("cifar10", tmp_path)
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        with open(folder / name, "rb") as f:
            d = pickle.load(f)
        raw = pickle.dumps(d, protocol=protocol)
        if protocol == 2:  # GLOBAL opcodes spell module names as text: write numpy 1's names
            raw = raw.replace(b"numpy._core", b"numpy.core")
        (folder / name).write_bytes(raw)
    data = load_dataset("cifar10", tmp_path)
    assert np.array_equal(data.x_train, expected.x_train) and np.array_equal(data.y_test, expected.y_test)
