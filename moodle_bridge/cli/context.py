"""What every command shares: settings, the store, the Moodle client, the pipeline's lock, and exit codes.

Commands never call ``sys.exit`` or print errors themselves: they raise :class:`CommandError` (or let one of the
known errors below rise) and click turns it into one line on stderr and the exit code, here, in one place.
:func:`as_command_error` is that place for every other failure: the root group (``root.py``) sends whatever a
command lets rise through it, so a known failure is one plain line and an unknown one asks for ``--debug``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import IO, Any, Literal

import click
from sqlalchemy import Engine

from ..config import ConfigError, Settings, load_settings
from ..i18n import _, set_language, set_time_zone
from ..log import configure_logging
from ..moodle import MoodleClient, MoodleError

EXIT_READY, EXIT_NOT_READY, EXIT_USAGE = 0, 1, 2


LogFormat = Literal["auto", "console", "json"]


class CommandError(click.ClickException):
    """A command cannot go on: one line for the user, and the exit code that says why."""

    def __init__(self, message: str, exit_code: int = EXIT_NOT_READY) -> None:
        super().__init__(message)
        self.code = exit_code

    @property  # click reads ``exit_code`` when it exits
    def exit_code(self) -> int:  # type: ignore[override]  # click declares it a class attribute
        return self.code

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.format_message(), err=True, file=file)


def config_error(exc: ConfigError) -> CommandError:
    return CommandError(_("Configuration error: {error}").format(error=_one_line(exc)), EXIT_USAGE)


def _one_line(exc: BaseException | str, limit: int = 500) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _files_named(argv: Sequence[str]) -> str:
    """The files the command line names, to say where a file's content failed."""
    files = [arg for arg in argv if not arg.startswith("-") and Path(arg).is_file()]
    return ", ".join(files) or _("a file given")


def as_command_error(exc: Exception, argv: Sequence[str] = ()) -> CommandError:
    """One line and an exit code for a failure a command let rise: what, where, and what to do.

    Configuration and bad input files are usage errors (2); Moodle, the store and the rest are 'not ready' (1).
    What is not recognised here is unexpected: one line that asks for ``--debug``, never a traceback.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from ..store import NotMigrated, explain

    if isinstance(exc, CommandError):
        return exc
    if isinstance(exc, ConfigError):
        return config_error(exc)
    if isinstance(exc, MoodleError):
        return CommandError(_("Moodle: {error}").format(error=_one_line(exc)))
    if isinstance(exc, (SQLAlchemyError, NotMigrated)):
        problem = explain(exc)
        if problem is not None:
            return CommandError(problem.sentence)
        return CommandError(_("The store failed ({error}): check store.url and the database, or run again with "
                              "--debug to see where.").format(error=_one_line(getattr(exc, "orig", None) or exc, 200)))
    if isinstance(exc, zipfile.BadZipFile) or type(exc).__name__ == "InvalidFileException":  # openpyxl's
        return CommandError(_("{files}: not an Excel workbook (.xlsx) ({error}): save it again from Excel as .xlsx, "
                              "or as CSV UTF-8.").format(files=_files_named(argv), error=_one_line(exc, 200)),
                            EXIT_USAGE)
    if isinstance(exc, UnicodeDecodeError):
        return CommandError(_("{files}: not UTF-8 text (byte {at}): save it as UTF-8 (in Excel: CSV UTF-8).").format(
            files=_files_named(argv), at=exc.start), EXIT_USAGE)
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else _("a file or connection")
        return CommandError(_("{where}: {error}: check the path, its permissions and the free space, then run "
                              "again.").format(where=where, error=exc.strerror))
    return CommandError(_("Unexpected error ({kind}: {error}); run again with --debug to see where, and report "
                          "it.").format(kind=type(exc).__name__, error=_one_line(exc, 200)))


class Context:
    """The object click passes to every command (``@click.pass_obj``)."""

    def __init__(self, config: Path | None, log_format: LogFormat | None, log_level: str | None,
                 lang: str | None) -> None:
        self.config_path = config
        self.lang = lang
        self.log_format = log_format
        self.log_level = log_level
        self._settings: Settings | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_path)
            except ConfigError as exc:
                raise config_error(exc)
            self.apply(self._settings)
        return self._settings

    def apply(self, settings: Settings) -> None:
        configure_logging(self.log_level or settings.logging.level, self.log_format or settings.logging.format)
        set_language(self.lang or settings.language)
        set_time_zone(settings.sync.organisation_timezone)  # the times every output shows

    def store(self) -> Engine:
        """The configured store, migrated; a store not migrated is 'not ready' (exit 1)."""
        from ..store import NotMigrated, connect, require_migrated

        engine = connect(self.settings().store.url)
        try:
            require_migrated(engine)
        except NotMigrated as exc:
            raise CommandError(_("The store is not ready: {error}").format(error=exc))
        return engine

    def client(self) -> MoodleClient:
        """The configured Moodle client; a missing token is a usage error (exit 2)."""
        from ..services.wiring import make_client

        try:
            return make_client(self.settings())
        except ConfigError as exc:
            raise config_error(exc)

    def client_if(self, acting: bool) -> AbstractContextManager[MoodleClient | None]:
        """The client when acting; none for a dry run, which never needs a token."""
        return self.client() if acting else nullcontext(None)


@contextmanager
def exclusive(engine: Engine) -> Iterator[None]:
    """Hold the scheduled pipeline's store lock while a manual command writes, so the two never overlap."""
    from ..store.lock import Locked, StoreLock

    lock = StoreLock(engine)
    try:
        lock.acquire()
    except Locked as exc:
        raise CommandError(_("Another run is using the store ({detail}). Try again when it has finished.").format(
            detail=exc))
    try:
        yield
    finally:
        lock.release()


def exclusive_if(engine: Engine, writing: bool) -> AbstractContextManager[None]:
    """The lock when the command writes; a dry run reads beside a running pipeline."""
    return exclusive(engine) if writing else nullcontext()
