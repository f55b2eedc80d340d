"""Running the ``rulesfacts`` command in-process, as every CLI test does; starting it as a shell
would, for the tests that interrupt it."""

import contextlib
import signal
from collections.abc import Iterator

import pytest

from rulesfacts.cli.main import main


def run_cli(args: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``rulesfacts ARGS``; a normal return counts as exit 0."""
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


@contextlib.contextmanager
def live_ctrl_c() -> Iterator[None]:
    """Processes started inside take Ctrl-C as from a shell (SIGINT at its default disposition),
    whatever this test process's own is: a disposition of "ignored", set by a test runner or by a
    library in this process, would pass to the child through exec and make it deaf to SIGINT."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
