"""Labels go through gettext; the Simplified Chinese catalogue is complete and keeps placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.pofile import read_po

from moodle_bridge import i18n

LOCALE = Path(i18n.__file__).parent / "locale"
ROOT = Path(__file__).resolve().parents[1]


def _catalog(language: str):
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def test_template_is_current_with_the_code(tmp_path):
    """Every label in the code is in the template (run scripts/update_catalogues.py if not)."""
    fresh = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_", "-k", "N_", "-o", str(fresh), "--no-location", "--omit-header", "."],
                   check=True, cwd=ROOT, capture_output=True)
    with fresh.open("rb") as a, (LOCALE / "messages.pot").open("rb") as b:
        assert {m.id for m in read_po(a) if m.id} == {m.id for m in read_po(b) if m.id}


def test_chinese_catalogue_translates_every_label_and_keeps_placeholders():
    with (LOCALE / "messages.pot").open("rb") as handle:
        labels = {m.id for m in read_po(handle) if m.id}
    chinese = {m.id: m.string for m in _catalog("zh_CN") if m.id}
    assert labels <= chinese.keys()
    untranslated = [label for label in labels if not chinese[label]]
    assert not untranslated
    for label in labels:
        assert set(re.findall(r"{\w+}", label)) == set(re.findall(r"{\w+}", chinese[label])), label


def test_language_switch():
    i18n.set_language("zh_CN")
    assert i18n.gettext("Ready.") == "已就绪。"
    i18n.set_language("en")
    assert i18n.gettext("Ready.") == "Ready."
    i18n.set_language("xx_XX")  # unknown: English, not an error
    assert i18n.gettext("Ready.") == "Ready."


def test_a_utc_instant_is_shown_in_the_organisations_zone():
    instant = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # already 1 January in Shanghai
    assert i18n.local_time(instant) == "2027-01-01 00:30"
    assert i18n.local_time(instant.replace(tzinfo=None)) == "2027-01-01 00:30"  # SQLite's naive UTC
    assert i18n.local_time(instant.timestamp(), i18n.DAY) == "2027-01-01"  # Moodle's Unix seconds
    assert i18n.local_time(None) == "-"
    try:
        i18n.set_time_zone("Europe/London")
        assert i18n.local_time(instant, i18n.SECONDS) == "2026-12-31 16:30:00"
    finally:
        i18n.set_time_zone(i18n.DEFAULT_TIME_ZONE)


def test_the_configured_zone_is_the_one_shown():
    from moodle_bridge.cli.context import Context
    from moodle_bridge.config import Settings

    try:
        Context(None, None, None, None).apply(Settings(moodle={"url": "https://moodle.example.org"},
                                                       sync={"organisation_timezone": "Asia/Urumqi"}))
        assert i18n.local_time(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01 06:00"
    finally:
        i18n.set_time_zone(i18n.DEFAULT_TIME_ZONE)
        i18n.set_language(None)
