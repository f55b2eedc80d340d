"""Running the ``rulesfacts`` command in-process, as every CLI test does."""

import pytest

from rulesfacts.cli.main import main


def run_cli(args: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``rulesfacts ARGS``; a normal return counts as exit 0."""
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err
