"""The ``rulesfacts`` command. Each subcommand lives in its own module under ``cli/`` and
registers itself through a ``register(app)`` function listed in ``COMMAND_MODULES``.

User mistakes (``RulesfactsError``) print one ``error: ...`` line and exit 2, with no traceback.
A config field or flag given by an old name prints one ``note: ...`` line and goes on. This
module imports only the standard library at first (typer, NumPy and torch come inside ``main``),
so a Ctrl-C at any moment of start-up is one line too.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from rulesfacts.errors import Note, RulesfactsError, one_line

if TYPE_CHECKING:
    import click
    import typer

COMMAND_MODULES = (
    "rulesfacts.cli.train",
    "rulesfacts.cli.analyze",
    "rulesfacts.cli.compare",
    "rulesfacts.cli.memscore",
    "rulesfacts.cli.sweep",
    "rulesfacts.cli.report",
    "rulesfacts.cli.bench",
    "rulesfacts.cli.memorize",
    "rulesfacts.cli.data",
    "rulesfacts.cli.theory",
    "rulesfacts.cli.fields",
)


def build_app() -> typer.Typer:
    import typer

    app = typer.Typer(
        name="rulesfacts",
        help="Does this network learn the rule, or memorize the facts?",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    for info in app.registered_commands:
        info.callback = _keep_interrupt(info.callback)
    return app


def build_command(app: typer.Typer | None = None) -> click.Command:
    """The app as a click command, every ``--help`` showing real defaults: an option or argument
    whose default is None (a required argument, or a value the help text explains, such as
    "default: one per core") shows no ``[default: None]``."""
    import typer.main

    command = typer.main.get_command(app or build_app())
    for sub in getattr(command, "commands", {}).values():
        for param in sub.params:
            default = param.default
            if isinstance(param.show_default, str):  # what None stands for, e.g. "the value of seed"
                continue
            if default is None or (isinstance(default, (tuple, list)) and default and
                                   all(d is None for d in default)):
                param.show_default = False
    return command


class _Interrupted(Exception):
    """Carries a command's KeyboardInterrupt (and its message) past typer, which would otherwise
    turn it into a silent ``return 130`` in non-standalone mode."""


def _keep_interrupt(callback: Callable[..., Any] | None) -> Callable[..., Any] | None:
    if callback is None:
        return None

    @functools.wraps(callback)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except KeyboardInterrupt as e:
            raise _Interrupted(str(e)) from None
    return wrapper


@contextlib.contextmanager
def renamed_as_notes() -> Iterator[None]:
    """Print each ``RenamedField`` and ``Note`` warning as one line ``note: 'old' is deprecated, use 'new'`` on
    stderr: Python would hide it (a DeprecationWarning outside __main__) or print two lines with a
    file name. Other warnings are shown as usual."""
    from rulesfacts.config import RenamedField

    with warnings.catch_warnings():
        warnings.simplefilter("always", RenamedField)
        warnings.simplefilter("always", Note)
        show = warnings.showwarning

        def note(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
            if issubclass(category, (RenamedField, Note)):
                print(f"note: {one_line(str(message))}", file=sys.stderr)
            else:
                show(message, category, *args, **kwargs)

        warnings.showwarning = note
        yield


def main(argv: list[str] | None = None) -> None:
    """The ``rulesfacts`` command (``argv``: its arguments, default ``sys.argv[1:]``)."""
    try:
        run_command(argv)
    except KeyboardInterrupt:  # while Python was still importing, before any command ran
        print("interrupted while starting; nothing was written", file=sys.stderr)
        sys.exit(130)


def run_command(argv: list[str] | None) -> None:
    import click

    try:
        with renamed_as_notes():  # building the app loads the task plug-ins: their notes are one line too
            command = build_command()
            code = command.main(args=argv, prog_name="rulesfacts", standalone_mode=False)
        if isinstance(code, int) and code == 130:  # Ctrl-C outside a command (e.g. during start-up)
            raise KeyboardInterrupt
    except RulesfactsError as e:
        print(f"error: {one_line(str(e))}", file=sys.stderr)
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.UsageError as e:  # bad flag value or name: one line, like our own errors
        option = f"{e.ctx.command_path}: " if e.ctx else ""
        print(f"error: {option}{e.format_message()}", file=sys.stderr)
        sys.exit(2)
    except click.ClickException as e:
        print(f"error: {e.format_message()}", file=sys.stderr)
        sys.exit(e.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort, _Interrupted) as e:
        # the trainer's message says where its state was saved; an interrupt elsewhere saved nothing
        detail = f": {one_line(str(e))}" if str(e) else ""
        args = sys.argv[1:] if argv is None else argv
        resume = " with --resume" if args and args[0] == "train" and "--resume" not in args else ""
        hint = f" (rerun the same command{resume} to continue)" if "saved" in detail else ""
        print(f"interrupted{detail}{hint}", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)
    except MemoryError:
        print("error: out of memory; try a smaller width, p, batch or ensemble", file=sys.stderr)
        sys.exit(2)
    except OSError as e:  # a file system refusal we did not anticipate: still one line, no traceback
        name = f"{e.filename}: " if getattr(e, "filename", None) else ""
        print(f"error: {name}{e.strerror or one_line(str(e))}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
