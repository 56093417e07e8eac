"""The root command group: global options, the Context every command receives, and the one error boundary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..i18n import available_languages, set_language
from ..log import configure_logging
from .context import Context, LogFormat, as_command_error

_ARGV = "moodle_bridge.argv"
LANG_HELP = "Language of the output (default: the configuration's, else the system's)."


def _choose_language(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """``--lang`` after a command (or a group) does what it does before: the last one given wins."""
    if value is None:
        return
    context = ctx.find_object(Context)
    if context is not None:  # the settings, read later, no longer override it
        context.lang = value
    set_language(value)


def _language_option() -> click.Option:
    return click.Option(["--lang"], type=click.Choice(available_languages()), default=None, expose_value=False,
                        is_eager=True, callback=_choose_language, help=LANG_HELP)


class Command(click.Command):
    """Every command takes ``--lang`` after its name too (``report units --lang zh_CN``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(_language_option())


class Group(click.Group):
    """A group of commands (``staff``, ``credits``...): ``--lang`` after its name, and on each of its commands."""

    command_class = Command
    group_class = type  # its subgroups are Groups too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(_language_option())


class Root(click.Group):
    """Runs every command inside one boundary: whatever a command lets rise ends as one line and an exit code
    (:func:`~.context.as_command_error`); with ``--debug`` an unexpected failure shows its traceback instead."""

    command_class = Command
    group_class = Group

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_ARGV] = list(args)  # to name the files a failure came from
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            raise as_command_error(exc, ctx.meta.get(_ARGV, ())) from None


@click.group(cls=Root, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="moodle-bridge")
@click.option("--config", "-c", type=click.Path(path_type=Path, dir_okay=False),
              help="Configuration file (default: $MOODLE_BRIDGE_CONFIG or ./moodle_bridge.toml).")
@click.option("--log-format", type=click.Choice(["auto", "console", "json"]), default=None,
              help="Log lines readable on a terminal, or JSON.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default=None)
@click.option("--lang", type=click.Choice(available_languages()), default=None, help=LANG_HELP)
@click.option("--debug", is_flag=True, help="On an unexpected error, show the whole traceback.")
@click.pass_context
def main(ctx: click.Context, config: Path | None, log_format: LogFormat | None, log_level: str | None,
         lang: str | None, debug: bool) -> None:
    """moodle_bridge: cadre training compliance on top of Moodle."""
    ctx.obj = Context(config, log_format, log_level, lang)
    configure_logging(log_level or "info", log_format or "auto")
    set_language(lang)
