"""Re-extract the labels and merge them into each language's .po (run after adding labels).

    .venv/bin/python scripts/update_catalogues.py

New labels arrive untranslated (shown in English until a translator fills them in);
tests/test_i18n.py fails while any zh_CN label is missing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "moodle_bridge" / "locale"
POT = LOCALE / "messages.pot"

subprocess.run(  # babel.cfg's patterns are relative to the repository root
    [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
     "-k", "_", "-k", "N_", "-o", str(POT), "--no-location", "--omit-header", "--sort-output", "."],
    check=True, cwd=ROOT,
)
template = read_po(POT.open("rb"))
if len(template) < 10:
    sys.exit(f"only {len(template)} labels extracted: refusing to wipe the catalogues")
for po_path in LOCALE.glob("*/LC_MESSAGES/messages.po"):
    catalog = read_po(po_path.open("rb"), locale=po_path.parts[-3])
    catalog.update(template, no_fuzzy_matching=True)
    with po_path.open("wb") as out:
        write_po(out, catalog, omit_header=False, sort_output=True, width=100, ignore_obsolete=True)
    print(f"updated {po_path.relative_to(ROOT)}")
