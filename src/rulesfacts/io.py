"""Crash-safe file output: every file is written to a temporary sibling and renamed into place.

A reader (or a resumed run) therefore sees either the old file or the complete new one, never
half of one, even after SIGKILL.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rulesfacts.errors import DataFileError, OutputError


def _atomic(path: Path, write: Callable[[Any], None], mode: str) -> None:
    """Write to a hidden temp sibling, fsync, rename. On any failure (full disk, permissions, Ctrl-C)
    the temp file is removed and the old ``path`` is untouched; OS errors become ``OutputError``."""
    path = Path(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; results are meant to be shared
        with os.fdopen(fd, mode) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
    except OutputError:
        raise
    except OSError as e:
        raise OutputError(path, e.strerror or str(e)) from e
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    _atomic(path, lambda f: f.write(text), "w")


def write_bytes(path: Path, data: bytes) -> None:
    _atomic(path, lambda f: f.write(data), "wb")


def write_json(path: Path, obj: Any) -> None:
    write_text(path, to_json(obj, indent=2) + "\n")


def to_json(obj: Any, **kwargs: Any) -> str:
    """The one JSON encoder of files and ``--json`` output: strict JSON, so every reader can parse
    it. A non-finite float (a diverged run's loss) becomes ``null``, arrays and NumPy scalars plain
    lists and numbers, paths strings; keys sorted. ``kwargs`` go to ``json.dumps`` (``indent``)."""
    return json.dumps(finite_or_null(obj), sort_keys=True, allow_nan=False, default=json_default, **kwargs)


def finite_or_null(obj: Any) -> Any:
    """``obj`` with every NaN / ±inf float (Python or NumPy, also inside arrays) replaced by None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_or_null(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_or_null(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):  # NumPy arrays and scalars
        return finite_or_null(obj.tolist())
    return obj


def save_with(path: Path, saver: Callable[[Any], None]) -> None:
    """Atomically write a binary file through ``saver(fileobj)`` (np.savez, torch.save, savefig)."""
    _atomic(path, saver, "wb")


def read_json(path: Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, "file not found (expected a JSON file)")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataFileError(path, f"not valid JSON ({e.__class__.__name__}: {e})") from None
    except RecursionError:
        raise DataFileError(path, "nested too deeply to be a rulesfacts file") from None


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML file as a dict; a missing or malformed file is a ``DataFileError`` saying ``what`` was expected."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, f"file not found (expected {what})")
    try:
        return tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise DataFileError(path, f"not valid TOML ({e})") from None
    except RecursionError:
        raise DataFileError(path, "nested too deeply to be a rulesfacts file") from None


def read_npz(path: Path, what: str, keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """The arrays of a NumPy ``.npz`` file (no pickles); a missing or corrupt file, or one that lacks
    any of ``keys``, is a ``DataFileError`` saying ``what`` was expected."""
    import numpy as np  # numpy stays out of the CLI's start-up path

    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, f"file not found (expected {what})")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as e:  # zipfile.BadZipFile, ValueError, OSError, EOFError: all mean "not a usable npz"
        raise DataFileError(path, f"not a valid .npz file ({e.__class__.__name__}: {e}); expected {what}") from None
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise DataFileError(path, f"npz lacks arrays {missing} (expected {what} with {', '.join(keys)})")
    return arrays


def ensure_writable_dir(path: Path) -> Path:
    """Create ``path`` if needed and prove we can write there, before any work starts."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-probe.", dir=path)
        os.close(fd)
        os.unlink(probe)
    except FileExistsError:
        raise OutputError(path, "it exists and is not a folder") from None
    except OSError as e:
        raise OutputError(path, e.strerror or str(e)) from None
    return path


def json_default(o: Any) -> Any:
    """``default=`` for json.dumps: arrays and NumPy scalars as lists/numbers, paths as strings."""
    if hasattr(o, "tolist"):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
