"""The sync's words for administrators: every entity the sync mirrors reads as words, in every language."""

from __future__ import annotations

import pytest

from moodle_bridge.cli.sync_render import ENTITY_LABELS
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
