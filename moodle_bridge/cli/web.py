"""`moodle-bridge serve` and `moodle-bridge staff ...` (registered on the main group)."""

from __future__ import annotations

import secrets
import sys
from typing import Any

import click
import structlog
from rich.console import Console
from rich.table import Table

from ..config import ConfigError
from ..i18n import N_, _, local_time, translated
from .context import EXIT_USAGE, CommandError, Context, config_error
from .root import main

log = structlog.get_logger("moodle_bridge.web")
MIN_SECRET_BYTES = 32  # a session key shorter than this can be guessed offline from one cookie
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


@main.command()
@click.option("--host", help="Address to listen on (default: web.host, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: web.port, 8000).")
@click.option("--cadres", is_flag=True, help="Also let cadres sign in at /me with their Moodle name and password, "
              "checked by Moodle (its token endpoint for the mobile app's service), to read their own training file "
              "(the default: web.cadre_page).")
@click.pass_obj
def serve(obj: Context, host: str | None, port: int | None, cadres: bool) -> None:
    """Serve the review page for organisation staff (and, with --cadres, each cadre's own page)."""
    from ..moodle import token_login
    from ..web.app import create_app

    settings = obj.settings()
    try:
        secret = settings.web.resolve_secret()
    except ConfigError as exc:
        raise config_error(exc)
    if secret is not None and len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
        raise CommandError(_("The session key is too short ({n} bytes, at least {least}): make one with {command}"
                             ).format(n=len(secret.encode("utf-8")), least=MIN_SECRET_BYTES, command=MAKE_SECRET),
                           EXIT_USAGE)
    if secret is None:
        log.warning("web.ephemeral_session_key", advice="set MOODLE_BRIDGE_WEB__SECRET_KEY or web.secret_key_file")
        secret = secrets.token_urlsafe(48)
    engine = obj.store()
    moodle_url, verify_tls = str(settings.moodle.url), settings.moodle.verify_tls
    timeout = (settings.moodle.connect_timeout, min(settings.moodle.read_timeout, 20.0))  # a person is waiting

    def cadre_sign_in(username: str, password: str) -> token_login.MoodleUser:
        return token_login.sign_in(moodle_url, username, password, timeout=timeout, verify_tls=verify_tls)

    app = create_app(engine, secret, https_only=settings.web.https,
                     stale_hours=settings.alerts.mirror_max_age_hours,
                     cadre_sign_in=cadre_sign_in if cadres or settings.web.cadre_page else None)
    run_page(app, host or settings.web.host, port or settings.web.port, behind_proxy=settings.web.https)


def run_page(app: Any, host: str, port: int, behind_proxy: bool = False) -> None:
    """Serve the review page until Ctrl-C, after saying where it answers (``serve`` and ``demo --serve``)."""
    import uvicorn

    shown = f"[{host}]" if ":" in host else host
    click.echo(_("The review page answers at http://{host}:{port}/ (Ctrl-C stops it).").format(host=shown, port=port))
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=behind_proxy)


# An account's role and page language as staff call them (the store keeps the codes).
ROLES = {"admin": N_("administrator"), "reviewer": N_("reviewer")}
LANGUAGES = {"en": N_("English"), "zh_CN": N_("Simplified Chinese")}


@main.group()
def staff() -> None:
    """Accounts of organisation staff for the review page."""


def _password(value: str | None) -> str:
    return value if value is not None else click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)


@staff.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "reviewer"]), default="reviewer", show_default=True)
@click.option("--unit", "units", multiple=True, help="A unit code the reviewer may see (repeat for several).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_obj
def staff_add(obj: Context, username: str, role: str, units: tuple[str, ...], password_stdin: bool) -> None:
    """Add an account: admin (every unit) or reviewer (the units given). Its pages speak the --lang given (wherever
    it stands on the line), else the browser's language."""
    from ..web import accounts

    password = _password(sys.stdin.readline().rstrip("\n") if password_stdin else None)
    try:
        accounts.add(obj.store(), username, password, role, list(units), obj.lang)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(_("Account {name} added ({role}).").format(name=username, role=translated(ROLES[role])))


@staff.command("list")
@click.pass_obj
def staff_list(obj: Context) -> None:
    """The accounts."""
    from ..web import accounts

    table = Table()
    for header in (_("Name"), _("Role"), _("Units"), _("Language"), _("Disabled"), _("Locked until")):
        table.add_column(header)
    for a in accounts.listing(obj.store()):
        table.add_row(a["username"], translated(ROLES.get(a["role"], a["role"])), ", ".join(a["units"]) or _("all"),
                      translated(LANGUAGES.get(a["language"], a["language"])) if a["language"] else "-",
                      _("yes") if a["disabled"] else _("no"), local_time(a["locked_until"]))
    Console().print(table)


@staff.command("disable")
@click.argument("username")
@click.pass_obj
def staff_disable(obj: Context, username: str) -> None:
    """Disable an account (it can no longer sign in)."""
    from ..web import accounts

    try:
        accounts.disable(obj.store(), username)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(_("Account {name} disabled.").format(name=username))


@staff.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_obj
def staff_set_password(obj: Context, username: str, password_stdin: bool) -> None:
    """Set a new password (and lift a lock-out)."""
    from ..web import accounts

    password = _password(sys.stdin.readline().rstrip("\n") if password_stdin else None)
    try:
        accounts.set_password(obj.store(), username, password)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(_("Password of {name} set.").format(name=username))
