"""Downloading the image data sets (MNIST, Fashion-MNIST, CIFAR-10) into a cache folder.

``fetch(name)`` downloads each file of ``SOURCES[name]`` into ``data_home() / name``, checks it
against the checksum its publishers give (MD5, the form in which MNIST, Fashion-MNIST and CIFAR-10
publish them) and only then renames it into place: a transfer that breaks off, a file whose
checksum differs, a full disk, leave nothing behind but what was there before, and running the
same command again starts over. CIFAR-10 comes as one ``.tar.gz``; its six batch files are
taken out of it by name (no other member, no path from the archive is ever written) and the
archive is removed.

The cache folder is ``$RULESFACTS_DATA`` when set, else ``~/.cache/rulesfacts``; the image
readers (``tasks.images.load_dataset``) look there when no folder is given. A mirror (a base URL
that holds the same file names) replaces the publishers' addresses: ``--mirror URL`` or
``$RULESFACTS_MIRROR``.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rulesfacts.errors import ConfigError, DataFileError, OutputError
from rulesfacts.io import write_bytes
from rulesfacts.runtime import package_version, progress

DATA_ENV = "RULESFACTS_DATA"
MIRROR_ENV = "RULESFACTS_MIRROR"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Remote:
    """One file as published: its name under a mirror's base URL and its MD5 checksum."""

    name: str
    md5: str
    size: int  # bytes, as published (for the listing; the transfer checks the server's length)


@dataclass(frozen=True)
class Source:
    """A data set: where it is published, its files, and (for an archive) the members to keep."""

    name: str
    title: str
    mirrors: tuple[str, ...]
    files: tuple[Remote, ...]
    members: tuple[str, ...] = ()  # files taken out of the (single) archive; empty: keep the files as they are

    @property
    def present_names(self) -> tuple[str, ...]:
        """The files that are in the folder once the data set is complete."""
        return self.members or tuple(f.name for f in self.files)


_CIFAR_DIR = "cifar-10-batches-py"
SOURCES: dict[str, Source] = {
    "mnist": Source(
        "mnist", "MNIST (LeCun et al. 1998)",
        ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        (Remote("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9912422),
         Remote("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", 28881),
         Remote("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", 1648877),
         Remote("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", 4542))),
    "fashion": Source(
        "fashion", "Fashion-MNIST (Xiao et al. 2017)",
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        (Remote("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26421880),
         Remote("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", 29515),
         Remote("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", 4422102),
         Remote("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", 5148))),
    "cifar10": Source(
        "cifar10", "CIFAR-10 (Krizhevsky 2009), python batches",
        ("https://www.cs.toronto.edu/~kriz/",),
        (Remote("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a", 170498071),),
        tuple(f"{_CIFAR_DIR}/{n}" for n in (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"))),
}


def data_home() -> Path:
    """The cache folder: ``$RULESFACTS_DATA``, else ``~/.cache/rulesfacts``."""
    env = os.environ.get(DATA_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "rulesfacts"


def dataset_dir(name: str, cache: Path | str | None = None) -> Path:
    """The folder of data set ``name`` under ``cache`` (default ``data_home()``)."""
    return (Path(cache).expanduser() if cache is not None else data_home()) / name


def source(name: str, sources: Mapping[str, Source] = SOURCES) -> Source:
    if name not in sources:
        raise ConfigError("dataset", name, f"one of {', '.join(sources)} (digits and mnist1d need no download)")
    return sources[name]


def is_present(name: str, folder: Path | str | None = None, sources: Mapping[str, Source] = SOURCES) -> bool:
    """Whether every file of ``name`` is in ``folder`` (default: its cache folder)."""
    folder = dataset_dir(name) if folder is None else Path(folder)
    return all((folder / n).is_file() for n in source(name, sources).present_names)


def fetch(name: str, folder: Path | str | None = None, *, mirror: str | None = None,
          sources: Mapping[str, Source] = SOURCES, show_progress: bool = True, timeout: float = 60.0,
          ) -> dict[str, object]:
    """Download data set ``name`` into ``folder`` (default ``data_home() / name``); files already
    there with the right checksum are kept. Returns what was done: folder, files, downloaded bytes.

    ``mirror`` (or ``$RULESFACTS_MIRROR``) is a base URL used instead of the publishers' ones.
    Raises ``DataFileError`` (unreachable server, interrupted transfer, checksum mismatch, bad
    archive) or ``OutputError`` (folder not writable, disk full); neither leaves a partial file.
    """
    src = source(name, sources)
    folder = dataset_dir(name) if folder is None else Path(folder).expanduser()
    mirror = mirror if mirror is not None else os.environ.get(MIRROR_ENV) or None
    if mirror and not mirror.startswith(("http://", "https://")):
        raise ConfigError("mirror", mirror, "an http:// or https:// base URL")
    bases = (mirror if mirror.endswith("/") else mirror + "/",) if mirror else src.mirrors
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(folder, e.strerror or str(e)) from None
    try:
        downloaded = _fetch_into(src, folder, bases, show_progress, timeout, sources)
    except BaseException:
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()  # a failed first download leaves no empty folder behind
        raise
    return {"dataset": name, "folder": str(folder), "downloaded_bytes": downloaded, "files": list(src.present_names)}


def _fetch_into(src: Source, folder: Path, bases: tuple[str, ...], show_progress: bool, timeout: float,
                sources: Mapping[str, Source]) -> int:
    if src.members and is_present(src.name, folder, sources):
        return 0
    downloaded = 0
    for remote in src.files:
        path = folder / remote.name
        if path.is_file() and file_md5(path) == remote.md5:
            continue
        downloaded += _download(bases, remote, path, show_progress, timeout)
    if src.members:
        archive = folder / src.files[0].name
        extract_members(archive, src.members, folder)
        archive.unlink()
    return downloaded


def file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(bases: tuple[str, ...], remote: Remote, path: Path, show_progress: bool, timeout: float) -> int:
    """Try each base URL in turn; the first complete transfer with the right checksum wins. A
    checksum mismatch is final (another mirror of the same bad file would not help)."""
    errors = []
    for base in bases:
        try:
            return _transfer(base + remote.name, remote, path, show_progress, timeout)
        except _Unreachable as e:
            errors.append(str(e))
    raise DataFileError(remote.name, f"cannot download ({'; '.join(errors)}); check the connection, "
                        f"or give another mirror with --mirror URL or ${MIRROR_ENV}; running the command again "
                        "starts over")


class _Unreachable(Exception):
    """A mirror that did not answer (or broke off): the next one may."""


def _transfer(url: str, remote: Remote, path: Path, show_progress: bool, timeout: float) -> int:
    """Stream ``url`` into a hidden temporary sibling of ``path``, check length and MD5, rename."""
    stale = list(path.parent.glob(f".{path.name}.*.part"))  # left by a process that was killed
    for old in stale:
        old.unlink(missing_ok=True)
    request = urllib.request.Request(url, headers={"User-Agent": f"rulesfacts/{package_version()}"})
    tmp: Path | None = None
    try:
        try:
            response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 — http(s) URLs only
        except urllib.error.HTTPError as e:
            raise _Unreachable(f"{url}: HTTP {e.code} {e.reason}") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise _Unreachable(f"{url}: {reason}") from None
        with response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else 0
            digest = hashlib.md5(usedforsecurity=False)
            got = 0
            try:
                fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
            except OSError as e:
                raise OutputError(path.parent, e.strerror or str(e)) from None
            tmp = Path(name)
            with os.fdopen(fd, "wb") as f, progress(total, remote.name, show_progress) as advance:
                while True:
                    try:
                        block = response.read(CHUNK)
                    except (OSError, ValueError) as e:  # reset connection, IncompleteRead, timeout
                        raise _Unreachable(f"{url}: transfer broke off after {got:,} bytes ({e})") from None
                    if not block:
                        break
                    try:
                        f.write(block)
                    except OSError as e:
                        raise OutputError(path, e.strerror or str(e)) from None
                    digest.update(block)
                    got += len(block)
                    advance(len(block))
                try:
                    f.flush()
                    os.fsync(f.fileno())
                except OSError as e:
                    raise OutputError(path, e.strerror or str(e)) from None
        if total and got != total:
            raise _Unreachable(f"{url}: transfer broke off after {got:,} of {total:,} bytes")
        if digest.hexdigest() != remote.md5:
            raise DataFileError(url, f"checksum mismatch: MD5 expected {remote.md5}, got {digest.hexdigest()} "
                                f"({got:,} bytes); the file was not kept")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        tmp = None
        return got
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def extract_members(archive: Path, members: tuple[str, ...], folder: Path) -> None:
    """Write the named regular-file members of a ``.tar.gz`` under ``folder`` (each atomically);
    every other member, link or path is ignored, so the archive cannot write outside ``folder``."""
    wanted = set(members)
    found: set[str] = set()
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for info in tar:
                if info.name in wanted and info.isreg():
                    f = tar.extractfile(info)
                    if f is None:
                        continue
                    write_bytes(folder / info.name, f.read())
                    found.add(info.name)
    except (tarfile.TarError, EOFError, OSError) as e:
        if isinstance(e, OutputError):
            raise
        raise DataFileError(archive, f"not a readable .tar.gz archive ({e.__class__.__name__}: {e})") from None
    missing = sorted(wanted - found)
    if missing:
        raise DataFileError(archive, f"the archive lacks {', '.join(missing)}")


def listing(cache: Path | str | None = None, sources: Mapping[str, Source] = SOURCES) -> list[dict[str, object]]:
    """One row per data set: name, title, download size, folder, whether it is complete there."""
    rows = []
    for name, src in sources.items():
        folder = dataset_dir(name, cache)
        rows.append({"dataset": name, "title": src.title, "download_mb": round(sum(f.size for f in src.files) / 1e6, 1),
                     "folder": str(folder), "present": is_present(name, folder, sources)})
    return rows
