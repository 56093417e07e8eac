"""Fill the zh_CN catalogue from a JSON file of {English: Chinese} (keeps existing translations).

    .venv/bin/python scripts/translate_zh_cn.py new_labels.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parents[1] / "moodle_bridge/locale/zh_CN/LC_MESSAGES/messages.po"
translations = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
catalog = read_po(PO.open("rb"), locale="zh_CN")
for message in catalog:
    if message.id in translations and not message.string:
        message.string = translations[message.id]
with PO.open("wb") as out:
    write_po(out, catalog, sort_output=True, width=100, ignore_obsolete=True)
missing = [m.id for m in catalog if m.id and not m.string]
print(f"{len(missing)} labels still untranslated", *missing, sep="\n  ")
