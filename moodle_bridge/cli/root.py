"""The root command group: global options, and the Context every command receives."""

from __future__ import annotations

from pathlib import Path

import click

from .. import __version__
from ..i18n import available_languages, set_language
from ..log import configure_logging
from .context import Context, LogFormat


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="moodle-bridge")
@click.option("--config", "-c", type=click.Path(path_type=Path, dir_okay=False),
              help="Configuration file (default: $MOODLE_BRIDGE_CONFIG or ./moodle_bridge.toml).")
@click.option("--log-format", type=click.Choice(["auto", "console", "json"]), default=None,
              help="Log lines readable on a terminal, or JSON.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default=None)
@click.option("--lang", type=click.Choice(available_languages()), default=None,
              help="Language of the output (default: the configuration's, else the system's).")
@click.pass_context
def main(ctx: click.Context, config: Path | None, log_format: LogFormat | None, log_level: str | None,
         lang: str | None) -> None:
    """moodle_bridge: cadre training compliance on top of Moodle."""
    ctx.obj = Context(config, log_format, log_level, lang)
    configure_logging(log_level or "info", log_format or "auto")
    set_language(lang)
