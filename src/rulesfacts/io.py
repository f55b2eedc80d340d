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


# -- a user's own data set -----------------------------------------------------------------------
ARRAY_KEYS = ("x", "y", "facts", "x_test", "y_test")


def read_arrays(path: Path) -> dict[str, Any]:
    """A user's data set as arrays ``x`` (n, features), ``y`` (n,), and optionally ``facts`` (n,)
    bool, ``x_test``, ``y_test``, from

    - ``.npz``: arrays under those names (no pickled objects: ``allow_pickle=False``);
    - ``.npy``: the x file ``x<rest>.npy`` with ``y<rest>.npy`` beside it (and ``facts<rest>.npy``,
      ``x_test.npy``, ``y_test.npy`` when present): ``x.npy`` + ``y.npy``, ``x_train.npy`` + ``y_train.npy``;
    - ``.csv``: a header row; the column ``y`` is the label, ``facts`` (0/1, true/false) the known
      facts, every other column a feature.

    Anything else, or arrays of the wrong shape or type, is one ``DataFileError`` line naming the file."""
    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, "file not found (expected .npz, .npy or .csv with x and y)")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as f:
                arrays = {k: f[k] for k in ARRAY_KEYS if k in f.files}
        elif suffix == ".npy":
            if not path.name.startswith("x"):
                raise DataFileError(path, "a .npy data set is named x*.npy, with y*.npy beside it")
            rest = path.name[1:]
            names = {"x": path.name, "y": "y" + rest, "facts": "facts" + rest, "x_test": "x_test.npy",
                     "y_test": "y_test.npy"}
            arrays = {k: np.load(path.with_name(name), allow_pickle=False) for k, name in names.items()
                      if path.with_name(name).is_file() and not (k == "x_test" and name == path.name)}
        elif suffix == ".csv":
            import pandas as pd

            df = pd.read_csv(path)
            if "y" not in df.columns:
                raise DataFileError(path, f"no column 'y' (the label) among {list(df.columns)[:8]}")
            arrays = {"y": df["y"].to_numpy()}
            if "facts" in df.columns:
                col = df["facts"].astype(str).str.strip().str.lower()
                if not col.isin(["0", "1", "true", "false"]).all():
                    raise DataFileError(path, "column 'facts' holds values other than 0/1/true/false")
                arrays["facts"] = col.isin(["1", "true"]).to_numpy()
            features = df.drop(columns=[c for c in ("y", "facts") if c in df.columns])
            try:
                arrays["x"] = features.to_numpy(dtype=np.float64)
            except (ValueError, TypeError):
                raise DataFileError(path, "a feature column holds text; every column but y and facts must be "
                                          "numeric") from None
        else:
            raise DataFileError(path, f"unknown kind {suffix or '(no suffix)'!r}; use .npz, .npy or .csv")
    except DataFileError:
        raise
    except (OSError, ValueError, EOFError) as e:
        raise DataFileError(path, f"unreadable ({e.__class__.__name__}: {str(e)[:120]})") from None
    return check_arrays(path, arrays)


def check_arrays(path: Path, a: dict[str, Any]) -> dict[str, Any]:
    """Shapes and types of ``read_arrays``' arrays, one ``DataFileError`` line for the first problem."""
    import numpy as np

    for k in ("x", "y"):
        if k not in a:
            raise DataFileError(path, f"no array '{k}' (needs x: (n, features) and y: (n,))")
    if ("x_test" in a) != ("y_test" in a):
        raise DataFileError(path, "x_test and y_test come together")
    for xk, yk in (("x", "y"), ("x_test", "y_test")):
        if xk not in a:
            continue
        x, y = np.asarray(a[xk]), np.asarray(a[yk])
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2 or not np.issubdtype(x.dtype, np.number) or not np.isfinite(x).all():
            raise DataFileError(path, f"'{xk}' must be a finite numeric array of shape (n, features), got "
                                      f"{x.dtype} {x.shape}")
        if y.ndim != 1 or len(y) != len(x):
            raise DataFileError(path, f"'{yk}' must be one label per row of '{xk}' ({len(x)}), got shape {y.shape}")
        if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.bool_)
                or (np.issubdtype(y.dtype, np.floating) and np.isfinite(y).all() and (y == np.round(y)).all())):
            raise DataFileError(path, f"'{yk}' must hold integer class labels, got {y.dtype}")
        a[xk], a[yk] = x, y.astype(np.int64)
    if len(a["y"]) < 2:
        raise DataFileError(path, "fewer than 2 examples")
    if "x_test" in a and a["x_test"].shape[1] != a["x"].shape[1]:
        raise DataFileError(path, f"x_test has {a['x_test'].shape[1]} features, x has {a['x'].shape[1]}")
    if "facts" in a:
        f = np.asarray(a["facts"])
        if f.shape != a["y"].shape or not (np.issubdtype(f.dtype, np.bool_) or np.isin(f, (0, 1)).all()):
            raise DataFileError(path, "'facts' must be one true/false per example")
        a["facts"] = f.astype(bool)
    return a
