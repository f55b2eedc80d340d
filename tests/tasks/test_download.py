"""Downloads against a local HTTP server on 127.0.0.1 that serves generated files in the real
formats (IDX, CIFAR-10 tar.gz): a good file, a corrupt one, a transfer that breaks off, an
archive with hostile members, and a hostile pickle. No test reaches the internet."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import pickle
import re
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from rulesfacts.errors import ConfigError, DataFileError
from rulesfacts.tasks import download
from rulesfacts.tasks.download import Remote, Source, fetch, is_present, listing
from rulesfacts.tasks.images import load_dataset
from tests.cli_helpers import run_cli
from tests.memorize.helpers import idx_bytes, tiny_images, write_cifar

IDX_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
             "t10k-labels-idx1-ubyte.gz")


class Server:
    """Serves ``files`` (name → bytes); names in ``cut`` announce their full length but send only
    half of the body and close the connection. ``requests`` counts the GETs per name."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.cut: set[str] = set()
        self.requests: dict[str, int] = {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 — the name http.server calls
                name = self.path.lstrip("/")
                server.requests[name] = server.requests.get(name, 0) + 1
                body = server.files.get(name)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if name in server.cut else body)
                if name in server.cut:
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def mnist_files() -> dict[str, bytes]:
    """The four gzipped IDX files of a tiny MNIST (3 classes of 6×6 blobs)."""
    files = {}
    for stem, n, seed in (("train", 12, 0), ("t10k", 4, 1)):
        x, y = tiny_images(n, seed=seed)
        files[f"{stem}-images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(x), mtime=0)
        files[f"{stem}-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(y), mtime=0)
    return files


def registry(name: str, files: dict[str, bytes], mirror: str, members: tuple[str, ...] = ()) -> dict[str, Source]:
    """A test registry: the checksums of the generated files, injected as the published ones."""
    remotes = tuple(Remote(n, md5(b), len(b)) for n, b in files.items())
    return {name: Source(name, "test data", (mirror,), remotes, members)}


def cifar_tar(tmp_path: Path, batches: dict[str, bytes] | None = None,
              extra: tuple[tarfile.TarInfo, ...] = ()) -> bytes:
    """A cifar-10-python.tar.gz made of ``write_cifar``'s six batches (or ``batches``) plus ``extra`` members."""
    folder = write_cifar(tmp_path / "src" / "cifar-10-batches-py", n=4)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for p in sorted(folder.iterdir()):
            data = (batches or {}).get(p.name, p.read_bytes())
            info = tarfile.TarInfo(f"cifar-10-batches-py/{p.name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info, io.BytesIO(b"x" * info.size) if info.isreg() else None)
    return buf.getvalue()


def test_good_files_are_verified_kept_and_read_by_the_image_reader(server, tmp_path, monkeypatch):
    server.files = mnist_files()
    reg = registry("mnist", server.files, server.url)
    monkeypatch.setenv("RULESFACTS_DATA", str(tmp_path / "cache"))
    done = fetch("mnist", sources=reg, show_progress=False)
    folder = tmp_path / "cache" / "mnist"
    assert done["folder"] == str(folder) and done["downloaded_bytes"] == sum(map(len, server.files.values()))
    assert sorted(p.name for p in folder.iterdir()) == sorted(server.files)  # no temp file left
    for name, body in server.files.items():
        assert (folder / name).read_bytes() == body
    data = load_dataset("mnist")  # no folder given: the cache folder
    x, y = tiny_images(12, seed=0)
    assert np.array_equal(data.x_train, x.reshape(len(x), -1)) and np.array_equal(data.y_train, y)
    again = fetch("mnist", sources=reg, show_progress=False)  # complete: nothing is downloaded again
    assert again["downloaded_bytes"] == 0 and set(server.requests.values()) == {1}
    assert is_present("mnist", folder, reg)


def test_corrupt_file_is_refused_naming_both_checksums_and_nothing_is_left(server, tmp_path):
    good = mnist_files()
    reg = registry("mnist", good, server.url)
    server.files = dict(good)
    name = "train-images-idx3-ubyte.gz"
    server.files[name] = good[name][:-1] + bytes([good[name][-1] ^ 1])  # one bit flipped
    with pytest.raises(DataFileError, match=f"checksum mismatch: MD5 expected {md5(good[name])}, "
                                            f"got {md5(server.files[name])}") as e:
        fetch("mnist", tmp_path / "m", sources=reg, show_progress=False)
    assert name in str(e.value) and "not kept" in str(e.value)
    assert not (tmp_path / "m").exists()  # the first file failed: not even the empty folder stays


def test_interrupted_transfer_leaves_no_half_file_and_a_retry_completes(server, tmp_path):
    server.files = mnist_files()
    reg = registry("mnist", server.files, server.url)
    name = "t10k-images-idx3-ubyte.gz"
    server.cut = {name}
    folder = tmp_path / "m"
    with pytest.raises(DataFileError, match=f"{name}: cannot download .*broke off after \\d+ of "
                                            f"{len(server.files[name])} bytes"):
        fetch("mnist", folder, sources=reg, show_progress=False)
    # the two files before it are complete and verified; of the broken one, nothing (no .part either)
    assert sorted(p.name for p in folder.iterdir()) == sorted(IDX_NAMES[:2])
    server.cut = set()
    done = fetch("mnist", folder, sources=reg, show_progress=False)
    assert done["downloaded_bytes"] == len(server.files[name]) + len(server.files[IDX_NAMES[3]])
    assert server.requests[IDX_NAMES[0]] == 1  # verified files are not fetched again
    assert all((folder / n).read_bytes() == b for n, b in server.files.items())


def test_a_stale_temp_file_of_a_killed_download_is_removed(server, tmp_path):
    server.files = mnist_files()
    reg = registry("mnist", server.files, server.url)
    folder = tmp_path / "m"
    folder.mkdir()
    stale = folder / f".{IDX_NAMES[0]}.abc123.part"
    stale.write_bytes(b"half")
    fetch("mnist", folder, sources=reg, show_progress=False)
    assert not stale.exists() and sorted(p.name for p in folder.iterdir()) == sorted(IDX_NAMES)


def test_cifar_archive_yields_only_the_named_batches(server, tmp_path):
    escape = tarfile.TarInfo("../../escaped")
    escape.size = 3
    link = tarfile.TarInfo("cifar-10-batches-py/readme")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    server.files = {"cifar-10-python.tar.gz": cifar_tar(tmp_path, extra=(escape, link))}
    members = download.SOURCES["cifar10"].members
    reg = registry("cifar10", server.files, server.url, members)
    folder = tmp_path / "cache" / "cifar10"
    fetch("cifar10", folder, sources=reg, show_progress=False)
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == sorted(
        ["cifar-10-batches-py", *members])  # archive removed, no link, nothing outside
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "cache" / "escaped").exists()
    data = load_dataset("cifar10", folder)
    assert data.x_train.shape == (20, 3072) and data.x_test.shape == (4, 3072)
    fetch("cifar10", folder, sources=reg, show_progress=False)  # complete: the archive is not fetched again
    assert server.requests["cifar-10-python.tar.gz"] == 1


def test_archive_missing_a_batch_is_refused(server, tmp_path):
    reg = registry("cifar10", {"a.tar.gz": cifar_tar(tmp_path)}, server.url, ("cifar-10-batches-py/data_batch_9",))
    server.files = {"a.tar.gz": cifar_tar(tmp_path)}
    with pytest.raises(DataFileError, match="a.tar.gz: the archive lacks cifar-10-batches-py/data_batch_9"):
        fetch("cifar10", tmp_path / "c", sources=reg, show_progress=False)


class Hostile:
    """Unpickling this calls ``open(SENTINEL, "w")``: a reader that runs pickled code creates the file."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = str(sentinel)

    def __reduce__(self):
        return (open, (self.sentinel, "w"))


def test_hostile_cifar_pickle_is_downloaded_but_never_executed(server, tmp_path):
    """The checksum is injected (as a compromised mirror plus registry would make it), so the file
    reaches the reader: reading it must raise DataFileError without running the pickled call."""
    sentinel = tmp_path / "pwned"
    batch = pickle.dumps({b"data": Hostile(sentinel), b"labels": [0]})
    server.files = {"cifar-10-python.tar.gz": cifar_tar(tmp_path, batches={"data_batch_1": batch})}
    reg = registry("cifar10", server.files, server.url, download.SOURCES["cifar10"].members)
    folder = tmp_path / "c"
    fetch("cifar10", folder, sources=reg, show_progress=False)
    with pytest.raises(DataFileError, match="data_batch_1"):
        load_dataset("cifar10", folder)
    assert not sentinel.exists(), "the CIFAR reader executed code from a pickle"


def test_mirror_must_be_http(tmp_path):
    with pytest.raises(ConfigError, match="mirror='file:///etc/'"):
        fetch("mnist", tmp_path / "m", mirror="file:///etc/", show_progress=False)
    with pytest.raises(ConfigError, match="dataset='svhn'"):
        fetch("svhn", tmp_path / "m", show_progress=False)


# ------------------------------------------------------------------ the command


def test_cli_network_down_is_one_line_and_leaves_nothing(tmp_path, capsys, server):
    dead = server.url  # a server that is gone: connection refused
    server.close()
    code, out, err = run_cli(["data", "get", "fashion", "--cache", tmp_path, "--mirror", dead, "--json", "-q"], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert re.match(r"error: train-images-idx3-ubyte.gz: cannot download \(.*refused.*\).*--mirror", err), err
    assert not (tmp_path / "fashion").exists()


def test_cli_checks_the_published_checksum_against_a_mirror(tmp_path, capsys, server):
    """The real registry's MD5 (torchvision and LeCun's page publish f68b3c2d... for MNIST's
    training images) refuses a mirror that serves anything else."""
    server.files = {IDX_NAMES[0]: b"not mnist"}
    code, out, err = run_cli(["data", "get", "mnist", "--cache", tmp_path, "--mirror", server.url, "-q"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"MD5 expected f68b3c2dcbeaaa9fbdd348bbdeb94873, got {md5(b'not mnist')}" in err
    assert not (tmp_path / "mnist").exists()


def test_cli_get_list_and_memorize_download(tmp_path, capsys, server, monkeypatch):
    server.files = mnist_files()
    monkeypatch.setitem(download.SOURCES, "mnist", registry("mnist", server.files, server.url)["mnist"])
    monkeypatch.setenv("RULESFACTS_DATA", str(tmp_path / "cache"))
    code, out, err = run_cli(["data", "list", "--json"], capsys)
    assert code == 0 and not {r["dataset"]: r["present"] for r in json.loads(out)["datasets"]}["mnist"]
    code, out, err = run_cli(["data", "get", "mnist", "--json", "-q"], capsys)
    assert code == 0, err
    assert json.loads(out)["folder"] == str(tmp_path / "cache" / "mnist") and "checksums verified" in err
    assert {r["dataset"]: r["present"] for r in listing()}["mnist"]
    code, out, err = run_cli(["memorize", "--dataset", "mnist", "--pair", "0", "1", "--data-dir", tmp_path / "own",
                              "--download", "--json", "-q"], capsys)
    assert code == 0, err
    assert json.loads(out)["train_acc"] == 1.0  # a memorization network fits the 24 downloaded images
    assert sorted(p.name for p in (tmp_path / "own").iterdir()) == sorted(IDX_NAMES)
