"""gettext for every user-facing label, with catalogues read straight from the shipped .po files.

Reading the .po with Babel at first use (instead of compiled .mo files) keeps the repository free
of build products; a catalogue is a few hundred lines, so it costs milliseconds once.
"""

from __future__ import annotations

import gettext as _gettext
import io
import os
from contextvars import ContextVar
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
# A context variable, not a global: each web request (thread or task) has its own language.
_language: ContextVar[str | None] = ContextVar("moodle_bridge_language", default=None)


@cache
def available_languages() -> tuple[str, ...]:
    """The languages shipped (read once: every label asks, a page of flags a thousand times)."""
    return ("en", *sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES").is_dir()))


@cache
def translations(language: str) -> _gettext.NullTranslations:
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def from_moodle(lang: str | None) -> str | None:
    """The language moodle_bridge speaks for a Moodle user's language (``user.lang``: ``en``, ``zh_cn``, ``en_us``):
    the same code in any case, else its parent language (``en_us`` is English); None when moodle_bridge does not
    speak it (``zh_tw``, ``fr``) or Moodle did not say."""
    if not lang:
        return None
    spoken = {code.lower(): code for code in available_languages()}
    code = lang.strip().lower()
    return spoken.get(code) or spoken.get(code.split("_")[0])


def set_language(language: str | None) -> None:
    """Choose the language of labels; ``None`` follows the system's LANG."""
    _language.set(language)


def current_language() -> str:
    chosen = _language.get() or os.environ.get("LANG") or "en"
    chosen = chosen.split(".")[0]
    return chosen if chosen in available_languages() else "en"


def gettext(message: str) -> str:
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ngettext(singular, plural, n)


def translated(word: str) -> str:
    """A label kept as data (a run's status, an oddity's name), marked with N_ where it is defined."""
    return gettext(word)


def N_(message: str) -> str:
    """Mark a label for extraction; it is translated where it is shown."""
    return message


# A month's name in a written date. The Chinese catalogue gives each month its number ("December": "12"), so one
# pattern serves both: "31 December 2026" and "2026 年 12 月 31 日".
MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"), N_("July"),
          N_("August"), N_("September"), N_("October"), N_("November"), N_("December"))


def day_words(day: date) -> str:
    """A day as people write it in sentences (tables keep 2026-12-31)."""
    return gettext("{day} {month} {year}").format(day=day.day, month=gettext(MONTHS[day.month - 1]), year=day.year)


_ = gettext


# --- times as people read them --------------------------------------------------------------------------------------

DEFAULT_TIME_ZONE = "Asia/Shanghai"
MINUTES = "%Y-%m-%d %H:%M"
SECONDS = "%Y-%m-%d %H:%M:%S"
DAY = "%Y-%m-%d"
# One organisation per process: the zone is the configuration's (sync.organisation_timezone), set when the settings
# are read; a global, not a context variable, so the review page's worker threads see it too.
_time_zone = ZoneInfo(DEFAULT_TIME_ZONE)


def set_time_zone(zone: str) -> None:
    """Show times in ``zone`` (an IANA name, checked by the configuration) from now on."""
    global _time_zone
    _time_zone = ZoneInfo(zone)


def local_time(moment: datetime | float | None, form: str = MINUTES, empty: str = "-") -> str:
    """A stored instant as staff read it: in the organisation's zone, without a zone name (never UTC).

    ``moment`` is a datetime (one without a zone is UTC: SQLite gives them back so) or Unix seconds (Moodle's);
    ``None`` is shown as ``empty``."""
    if moment is None:
        return empty
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(_time_zone).strftime(form)
