"""The sync's words for administrators: every entity the sync mirrors reads as words, in every language; times in
the organisation's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from rich.console import Console

from moodle_bridge.cli.sync_render import ENTITY_LABELS, render_status
from moodle_bridge.i18n import set_language, translated
from moodle_bridge.sync.entities import SIDE_TABLES, TABLE


def test_every_mirrored_entity_is_translated_into_chinese():
    set_language("zh_CN")
    try:
        untranslated = [name for name in [e.name for e in TABLE] + list(SIDE_TABLES)
                        if translated(ENTITY_LABELS[name]) == ENTITY_LABELS[name]]
    finally:
        set_language(None)
    assert untranslated == []


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_no_label_shows_an_internal_name(language):
    set_language(language)
    try:
        shown = {name: translated(label) for name, label in ENTITY_LABELS.items()}
    finally:
        set_language(None)
    assert all("_" not in text for text in shown.values()), shown


def test_the_last_sync_reads_in_words_and_in_the_organisations_zone():
    shown = StringIO()
    last = {"id": 3, "kind": "incremental", "status": "interrupted", "error": None, "counts": {},
            "started_at": datetime(2026, 11, 20, 18, 0, tzinfo=UTC), "finished_at": datetime(2026, 11, 20, 18, 5)}
    set_language("zh_CN")
    try:
        render_status({"counts": {}, "last_run": last}, Console(file=shown, width=200))
    finally:
        set_language(None)
    text = shown.getvalue()
    assert "第 3 次，增量，已中断，开始于 2026-11-21 02:00，结束于 2026-11-21 02:05" in text
    assert not any(code in text for code in ("incremental", "interrupted", "UTC", "+00:00"))


def test_the_road_is_named_in_words_in_both_languages():
    import io

    from rich.console import Console

    from moodle_bridge.cli.sync_render import render_summary
    from moodle_bridge.i18n import set_language
    from moodle_bridge.sync import RunSummary

    summary = RunSummary(run_id=3, kind="full", road="per_enrolment", counts={"users": {"added": 2}})
    for language, words in (("en", "one call per enrolment"), ("zh_CN", "逐个选课调用")):
        set_language(language)
        out = io.StringIO()
        try:
            render_summary(summary, Console(file=out, width=200))
        finally:
            set_language("en")
        shown = " ".join(out.getvalue().split())  # the table's title wraps at the table's width
        assert words in shown and "per_enrolment" not in shown
