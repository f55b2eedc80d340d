"""What every subcommand shares: the ``--json`` contract and turning configs into flags."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import sys
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

import click
import typer

from rulesfacts.config import Flag, Maybe, declaration, default_of, warn_renamed
from rulesfacts.errors import ConfigError
from rulesfacts.io import to_json
from rulesfacts.runtime import stderr_console

JSON_OPTION = typer.Option(False, "--json", help="Print one machine-readable JSON object on stdout.")


def emit(summary: dict[str, Any], as_json: bool, title: str = "") -> None:
    """Print ``summary``: one JSON object on stdout with --json, else a readable table on stderr."""
    if as_json:
        sys.stdout.write(to_json(summary) + "\n")
        sys.stdout.flush()
        return
    from rich.table import Table

    table = Table(title=title or None, show_header=False)
    for k, v in summary.items():
        table.add_row(str(k), _fmt(v))
    stderr_console().print(table)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)) and len(v) > 8:
        return f"[{len(v)} values]"
    return str(v)


def int_list(text: str, field: str, example: str = "1,4,16") -> list[int]:
    """Parse a comma-separated integer flag (``--ensembles 1,4,16``); a bad one is a ``ConfigError``."""
    try:
        values = [int(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise ConfigError(field, text, f"comma-separated integers, e.g. {example}") from None
    if not values:
        raise ConfigError(field, text, "at least one integer")
    return values


def say(msg: str) -> None:
    """A human-readable line on stderr (never mixes with --json output)."""
    stderr_console().print(msg)


F = TypeVar("F", bound=Callable[..., Any])


def config_options(cls: type, *, exclude: Collection[str] = (), defaults: Mapping[str, Any] | None = None,
                   into: str = "given") -> Callable[[F], F]:
    """Give a command one option per declared field of the config ``cls``, read off the declarations.

    The decorated function has a parameter named ``into``; the options take its place in the
    command's signature (so --help lists them there), and the function receives in it a dict of
    the fields set on the command line, under their current names, on top of ``defaults``. The
    options carry the config's defaults (``defaults[name]`` where the command uses another), so
    --help shows them, but a field left out is not in the dict: the command can tell a flag given
    from one left out (``rulesfacts train --resume`` continues a run's config with only the flags
    given). True/false fields get ``--x/--no-x``; old names of renamed fields are hidden flags
    that still work, with a note. Fields declared ``cli=False`` and those in ``exclude`` get no flag.
    """
    defaults = dict(defaults or {})

    def decorate(func: F) -> F:
        signature = inspect.signature(func, eval_str=True)
        if into not in signature.parameters:
            raise TypeError(f"{func.__name__} needs a parameter {into!r} for the {cls.__name__} options")
        options: list[inspect.Parameter] = []
        targets: dict[str, tuple[str, str | None]] = {}  # parameter → (field, old name or None)
        for f in dataclasses.fields(cls):
            decl = declaration(f)
            if not decl.cli or f.name in exclude:
                continue
            kind = decl.constraint.python_type()
            if kind is None:
                raise TypeError(f"{cls.__name__}.{f.name} has no flag form: declare it with cli=False")
            default = defaults.get(f.name, default_of(f))
            for name, old in ((f.name, None), *((o, o) for o in decl.deprecated)):
                if name in signature.parameters or name in targets:
                    raise TypeError(f"{func.__name__}: option {name!r} of {cls.__name__} clashes with another")
                option = typer.Option(None if old else default, *_flag_names(name, decl.constraint),
                                      hidden=old is not None, help=_flag_help(decl),
                                      show_default=_none_means(decl.constraint) if default is None else True)
                options.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=option,
                                                 annotation=kind))
                targets[name] = (f.name, old)

        @functools.wraps(func)
        def command(**kwargs: Any) -> Any:
            ctx = click.get_current_context(silent=True)
            given: dict[str, Any] = {}
            for name, (field_name, old) in targets.items():  # a current name comes before its old ones
                value = kwargs.pop(name)
                if ctx is not None and ctx.get_parameter_source(name) in _NOT_GIVEN:
                    continue
                if old is not None:
                    warn_renamed(f"--{_dashed(old)}", f"--{_dashed(field_name)}")
                    if field_name in given:
                        raise ConfigError(field_name, value, f"given twice, as --{_dashed(field_name)} and "
                                                             f"--{_dashed(old)}")
                given[field_name] = value
            return func(**kwargs, **{into: {**defaults, **given}})

        params = list(signature.parameters.values())
        at = [p.name for p in params].index(into)
        command.__signature__ = signature.replace(parameters=[*params[:at], *options, *params[at + 1:]])
        command.__annotations__ = {p.name: p.annotation for p in command.__signature__.parameters.values()}
        return command  # type: ignore[return-value]

    return decorate


_NOT_GIVEN = (click.core.ParameterSource.DEFAULT, click.core.ParameterSource.DEFAULT_MAP)


def renamed_flag(new: str, new_value: Any, old: str, old_value: Any) -> Any:
    """The value of an option renamed from --old to --new, for options that are not config fields
    (those get this from ``config_options``): the old flag (a hidden option, default None) still
    works, with the same one-line note; both given is an error."""
    if old_value is None:
        return new_value
    warn_renamed(f"--{_dashed(old)}", f"--{_dashed(new)}")
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.get_parameter_source(new) not in _NOT_GIVEN:
        raise ConfigError(new, new_value, f"given twice, as --{_dashed(new)} and --{_dashed(old)}")
    return old_value


def _dashed(name: str) -> str:
    return name.replace("_", "-")


def _flag_names(name: str, constraint: Any) -> list[str]:
    flag = _dashed(name)
    inner = constraint.inner if isinstance(constraint, Maybe) else constraint
    return [f"--{flag}/--no-{flag}"] if isinstance(inner, Flag) else [f"--{flag}"]


def _flag_help(decl: Any) -> str:
    choices = decl.constraint.choices()
    return decl.help + (f" One of: {', '.join(choices)}." if choices else "")


def _none_means(constraint: Any) -> str | bool:
    """What --help shows for a default of None: what None stands for, else nothing."""
    return constraint.none_means if isinstance(constraint, Maybe) and constraint.none_means else False
