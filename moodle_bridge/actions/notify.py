"""Send each flagged cadre a Moodle message listing what is missing, what would fix it and by when.

A flag is never messaged twice within the interval (each flag's sending is logged); messages go
in small batches with a pause between them (rate-limited).

Each message is written in the cadre's language in Moodle (``mirror_users.lang``) when moodle_bridge speaks it, else
in the language labels are shown in now (the configuration's).

Moodle refuses a message it may not deliver one by one (``msgid`` -1 with its reason, e.g. the
cadre's message preferences) and the rest of the call goes through: each refusal is logged as
failed with Moodle's words, the run goes on, and :func:`summary` says what to configure.
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine, select

from .. import results
from ..i18n import _, current_language, from_moodle, set_language
from ..moodle import MoodleClient, MoodleError
from ..moodle.models import SentMessage
from ..reports.plain import explain, flag_label, remedy
from ..store.schema import action_log, mirror_users
from . import ActionRow, acting_client, record

DEFAULT_INTERVAL_DAYS = 7.0  # a flag is messaged again only after so many days (the pipeline's and the CLI's default)

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
# Moodle's usercantbemessaged ("You can't message NAME due to their message preferences. ..."), in
# English, the integration user's language (README): the refusal that a role setting cures.
PREFERENCES_REFUSAL = "due to their message preferences"


class PlannedMessage(TypedDict):
    """One cadre's message: the flags it tells of (the latest evaluation's) and its text."""

    cadre_id: str
    user_id: int
    flags: list[results.Flag]
    text: str


def _message(name: str, flags: list[results.Flag]) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    items = [{"label": flag_label(f.kind), "text": explain(f.kind, f.evidence), "remedy": remedy(f.kind, f.evidence)}
             for f in flags]  # the remedy says by when: the due date travels with each flag
    return env.get_template("notify_message.html.j2").render(
        greeting=_("Dear {name}, your training record shows:").format(name=name), items=items,
        remedy_label=_("What would fix it"), colon=_(": "),
        closing=_("Please see to each point above in time. Questions: your organisation department."))


def in_language(language: str, render: Callable[[], str]) -> str:
    """``render()`` with labels in ``language``, leaving the caller's language as it was."""
    def run() -> str:
        set_language(language)
        return render()
    return contextvars.copy_context().run(run)


def cadre_languages(engine: Engine, user_ids: Iterable[int]) -> dict[int, str]:
    """The language moodle_bridge speaks that each user has in Moodle (the mirror's ``lang``); a user whose language
    the mirror does not know, or moodle_bridge does not speak, is left out."""
    wanted, found = sorted(set(user_ids)), {}
    with engine.connect() as connection:
        for start in range(0, len(wanted), 500):
            for user_id, lang in connection.execute(select(mirror_users.c.id, mirror_users.c.lang).where(
                    mirror_users.c.id.in_(wanted[start:start + 500]), mirror_users.c.lang.is_not(None))):
                if (spoken := from_moodle(lang)) is not None:
                    found[user_id] = spoken
    return found


def plan(engine: Engine, interval_days: float, now: datetime | None = None) -> list[PlannedMessage]:
    """One message a cadre, for the flags not messaged within the interval, in the cadre's Moodle language where
    moodle_bridge speaks it, else in the language labels are shown in now."""
    now = now or datetime.now(UTC)
    with engine.connect() as connection:
        flagged = results.flags_for_actions(connection)
        if not flagged:
            return []
        recent = {(r.cadre_id, r.target) for r in connection.execute(select(action_log).where(
            action_log.c.action == "notify", action_log.c.status == "done",
            action_log.c.created_at >= now - timedelta(days=interval_days)))}
    messages: list[PlannedMessage] = []
    default = current_language()
    languages = cadre_languages(engine, (cadre.result.user_id for cadre in flagged))
    for cadre in flagged:
        items = [f for f in cadre.flags if (cadre.result.cadre_id, f"flag:{f.kind}:{f.rule}") not in recent]
        if items:
            text = in_language(languages.get(cadre.result.user_id, default),
                               functools.partial(_message, cadre.result.name, items))
            messages.append({"cadre_id": cadre.result.cadre_id, "user_id": cadre.result.user_id, "flags": items,
                             "text": text})
    return messages


def apply(engine: Engine, client: MoodleClient | None, messages: list[PlannedMessage], dry_run: bool,
          batch: int = 20, pause: float = 1.0, sleep: Callable[[float], None] = time.sleep) -> list[ActionRow]:
    """Log every message; with dry_run False, send them and log Moodle's answer to each.

    ``client`` may be None for a dry run only."""
    outcomes: list[ActionRow] = []
    now = datetime.now(UTC)
    answers = deliver(client, [(m["user_id"], m["text"], f"mb-{m['cadre_id']}-{int(now.timestamp())}")
                               for m in messages], dry_run, batch, pause, sleep)
    for message, (status, detail) in zip(messages, answers, strict=True):
        for flag in message["flags"]:
            outcomes.append({"action": "notify", "cadre_id": message["cadre_id"], "user_id": message["user_id"],
                             "target": f"flag:{flag.kind}:{flag.rule}", "status": status, "dry_run": dry_run,
                             "detail": detail, "created_at": now})
    return record(engine, outcomes)


def deliver(client: MoodleClient | None, messages: Sequence[tuple[int, str, str]], dry_run: bool, batch: int = 20,
            pause: float = 1.0, sleep: Callable[[float], None] = time.sleep) -> list[tuple[str, dict[str, Any]]]:
    """Send Moodle messages (user id, HTML text, client message id) in batches with a pause between them; the action
    log's status and detail for each, in order (a dry run sends nothing: each "planned", with its text). A refusal
    or an error is that message's (or that batch's) failure; the others go on. ``client`` may be None for a dry run
    only."""
    return [answer for answers in deliver_batches(client, messages, dry_run, batch, pause, sleep) for answer in answers]


def deliver_batches(client: MoodleClient | None, messages: Sequence[tuple[int, str, str]], dry_run: bool,
                    batch: int = 20, pause: float = 1.0,
                    sleep: Callable[[float], None] = time.sleep) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """As :func:`deliver`, one batch's answers at a time: a batch is sent only when the one before has been taken, so
    the caller can record each before the next goes, and stop between them. Reminders (``remind.py``) send so."""
    for start in range(0, len(messages), batch):
        chunk = messages[start:start + batch]
        if dry_run:
            yield [("planned", {"text": text}) for _user, text, _id in chunk]
            continue
        moodle = acting_client(client)
        if start:
            sleep(pause)  # rate limit: a pause between batches
        answers: list[SentMessage | MoodleError]
        try:
            answers = moodle.call("core_message_send_instant_messages", messages=[
                {"touserid": user, "text": text, "textformat": 1, "clientmsgid": clientmsgid[:100]}
                for user, text, clientmsgid in chunk])
        except MoodleError as exc:
            answers = [exc] * len(chunk)
        yield [_outcome(answers[index] if index < len(answers) else None) for index in range(len(chunk))]


def send_queue(engine: Engine, client: MoodleClient | None, dry_run: bool) -> list[ActionRow]:
    """Messages staff queued on the review page: sent (and marked sent) with --apply.

    ``client`` may be None for a dry run only."""
    from sqlalchemy import update

    from ..store.schema import message_queue

    with engine.connect() as connection:
        queued = connection.execute(select(message_queue).where(message_queue.c.sent_at.is_(None))
                                    .order_by(message_queue.c.id)).fetchall()
    outcomes: list[ActionRow] = []
    now = datetime.now(UTC)
    for row in queued:
        status, detail = "planned", {"text": row.text}
        if not dry_run:
            answer: SentMessage | MoodleError
            try:
                (answer,) = acting_client(client).call("core_message_send_instant_messages", messages=[
                    {"touserid": row.user_id, "text": row.text, "textformat": 2, "clientmsgid": f"mb-queue-{row.id}"}])
            except MoodleError as exc:
                answer = exc
            status, detail = _outcome(answer)
            if status == "done":
                with engine.begin() as connection:
                    connection.execute(update(message_queue).where(message_queue.c.id == row.id).values(sent_at=now))
        outcomes.append({"action": "notify", "cadre_id": row.cadre_id, "user_id": row.user_id,
                         "target": f"queued:{row.id}", "status": status, "dry_run": dry_run, "detail": detail,
                         "created_at": now})
    return record(engine, outcomes)


def _outcome(answer: SentMessage | MoodleError | None) -> tuple[str, dict[str, Any]]:
    """The action log's status and detail for Moodle's answer about one message."""
    if answer is None:  # Moodle answered fewer results than messages sent
        return "failed", {"error": "Moodle's answer held no result for this message"}
    if isinstance(answer, MoodleError):
        return "failed", {"error": str(answer), "errorcode": answer.errorcode}
    if answer.delivered:
        return "done", {"msgid": answer.msgid}
    return "failed", {"error": answer.errormessage, "refused": True}  # Moodle's reason, word for word


def summary(outcomes: list[ActionRow]) -> list[str]:
    """Lines for the person who ran notify: how many cadres Moodle refused, and what to configure."""
    failed = [o for o in outcomes if o["status"] == "failed" and not o["dry_run"]]
    refused = {o["cadre_id"] for o in failed if o["detail"].get("refused")}
    lines = []
    if refused:
        lines.append(_("Moodle refused the messages to {n} cadres; the action log holds its reason for each.")
                     .format(n=len(refused)))
    by_preferences = any(PREFERENCES_REFUSAL in (o["detail"].get("error") or "") for o in failed)
    by_role = any(o["detail"].get("errorcode") == "nopermissions" for o in failed)
    if by_preferences or by_role:
        lines.append(_("The integration user may not message these cadres: allow moodle/site:sendmessage and "
                       "moodle/site:messageanyuser in its system role (README, Preparing Moodle, step 6), then "
                       "check with `moodle-bridge doctor`."))
    if any(o["detail"].get("errorcode") == "disabled" for o in failed):
        lines.append(_("Messaging is switched off in Moodle: turn on Enable messaging system (Site administration > "
                       "General > Messaging > Messaging settings)."))
    return lines
