"""Crash-safe writes: a failed write (full disk, refused folder, Ctrl-C mid-write) leaves the old
file intact and no temporary file behind, and is reported as one clear ``OutputError``."""

from __future__ import annotations

import errno
import json
import os

import pytest

from rulesfacts import io
from rulesfacts.errors import ConfigError, DataFileError, OutputError, one_line, short_repr


def enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("where", ["fsync", "replace"])
def test_full_disk_leaves_old_file_and_no_temp(tmp_path, monkeypatch, where):
    path = tmp_path / "summary.json"
    io.write_json(path, {"status": "old"})
    monkeypatch.setattr(io.os, where, enospc)
    with pytest.raises(OutputError, match="cannot write to .*summary.json: No space left on device"):
        io.write_json(path, {"status": "new"})
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"status": "old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_error_inside_the_writer_leaves_nothing(tmp_path):
    """A saver that dies half-way (here Ctrl-C) leaves neither a partial file nor a temp file."""
    def saver(f):
        f.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        io.save_with(tmp_path / "weights.npz", saver)
    assert list(tmp_path.iterdir()) == []


def test_write_replaces_whole_file(tmp_path):
    path = tmp_path / "a.txt"
    io.write_text(path, "x" * 1000)
    io.write_text(path, "short")
    assert path.read_text() == "short"


def test_output_folder_under_a_file_fails_before_anything_is_created(tmp_path):
    """Unwritable even for root (CI runs as root, where chmod does not stop writes)."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputError, match="cannot write to .*file/run: Not a directory"):
        io.ensure_writable_dir(blocker / "run")
    with pytest.raises(OutputError, match="it exists and is not a folder|File exists|Not a directory"):
        io.ensure_writable_dir(blocker)
    with pytest.raises(OutputError):
        io.write_text(blocker / "x.txt", "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_read_only_filesystem_is_refused(tmp_path):
    with pytest.raises(OutputError, match="cannot write to /proc/rulesfacts-test"):
        io.ensure_writable_dir("/proc/rulesfacts-test")


@pytest.mark.parametrize(("content", "problem"), [
    (None, "file not found"),
    ('{"a": 1', "not valid JSON"),
    (b"\xff\xfe\x00", "not valid JSON"),
])
def test_read_json_names_the_file(tmp_path, content, problem):
    path = tmp_path / "config.json"
    if isinstance(content, str):
        path.write_text(content)
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(DataFileError) as info:
        io.read_json(path)
    assert str(info.value).startswith(f"{path}: {problem}") and "\n" not in str(info.value)


def test_messages_are_one_line():
    assert one_line("a\n  b\n\nc") == "a b c"
    assert short_repr("x" * 500).endswith("...") and len(short_repr("x" * 500)) == 80
    assert str(ConfigError("lr", -1.0, "a number > 0")) == "lr=-1.0 is not allowed: a number > 0"
    assert "\n" not in str(DataFileError("f.csv", "bad\nline"))
