"""Fuzz the offline-training and exemption imports (services/offline.py ``read_table``/``parse_offline``/
``import_offline``, services/exemptions.py ``read_exemptions``/``import_exemptions``): CSV in UTF-8, GB18030,
UTF-16 or with garbage bytes; Excel files with any cells; .xlsx files that are not zips, are truncated or are zips
of something else.

A file is refused with an ``ImportError_`` (every problem with its line) and the store keeps every row count, or
gives rows with dates in the sane window, an end not before the start and finite amounts of zero or more, which
the store takes."""

from __future__ import annotations

import csv
import io
import math
import tempfile
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from moodle_bridge.rules.exemptions import ExemptionRow, imported_rows
from moodle_bridge.rules.offline import OfflineRow, template_header
from moodle_bridge.services.exemptions import ImportError_, import_exemptions, read_exemptions
from moodle_bridge.services.offline import import_offline, parse_offline
from moodle_bridge.store import connect, upgrade

from .common import HUGE_NUMBERS, ODD_DATES, ODD_TEXT, fuzz, in_window, refused_or
from .store_counts import counts

EXEMPTION_HEADER = ["cadre id", "reason", "from", "to", "effect"]
CADRE_IDS = st.sampled_from(["CD260001", "CD260002", "NOPE", " CD260001 ", "", "cd260001", "干部001"])
GOOD_DATES = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)).map(date.isoformat)
TEXT_CELLS = st.one_of(CADRE_IDS, GOOD_DATES, ODD_DATES, HUGE_NUMBERS, ODD_TEXT, st.sampled_from(
    ["full", "prorate", "FULL", "3", "7.5", "0", "-1", "1,5", "1 000", "44927", "20000.5", "None", "TRUE"]),
    st.integers(-(10**20), 10**20).map(str), st.floats().map(str))
EXCEL_CELLS = st.one_of(
    st.none(), TEXT_CELLS, st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(), st.dates(), st.datetimes(), st.integers(20_000, 80_000), st.floats(20_000, 80_000))


def tables(header: list[str], cells: st.SearchStrategy[Any]) -> st.SearchStrategy[list[list[Any]]]:
    """A header (the real one, shuffled, cut or with extra columns) and up to six rows of random cells."""
    headers = st.one_of(st.just(header), st.permutations(header).map(list),
                        st.lists(st.sampled_from(header) | ODD_TEXT, max_size=len(header) + 2))
    return headers.flatmap(lambda h: st.lists(st.lists(cells, min_size=0, max_size=len(h) + 2), max_size=6).map(
        lambda rows: [h, *rows]))


def offline_row_cells() -> st.SearchStrategy[list[Any]]:
    """A mostly plausible offline row, so that many examples get past the header and reach the checks."""
    return st.tuples(CADRE_IDS, ODD_TEXT | st.just("Party school course"), ODD_TEXT, GOOD_DATES | ODD_DATES,
                     GOOD_DATES | ODD_DATES, st.none() | HUGE_NUMBERS | st.sampled_from(["1", "2.5", "0", "-1"]),
                     st.none() | HUGE_NUMBERS | st.sampled_from(["8", "1e3", ""]), st.none() | HUGE_NUMBERS,
                     ODD_TEXT, ODD_TEXT).map(list)


def exemption_row_cells() -> st.SearchStrategy[list[Any]]:
    return st.tuples(CADRE_IDS, ODD_TEXT | st.just("illness"), GOOD_DATES | ODD_DATES, GOOD_DATES | ODD_DATES,
                     st.sampled_from(["full", "prorate", "", "FULL", "none"]) | ODD_TEXT).map(list)


def plausible(header: list[str], rows: st.SearchStrategy[list[Any]]) -> st.SearchStrategy[list[list[Any]]]:
    return st.lists(rows, min_size=1, max_size=5).map(lambda r: [header, *r])


def csv_bytes(table: list[list[Any]], encoding: str, junk: bytes) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(["" if c is None else str(c) for c in row] for row in table)
    raw = out.getvalue().encode(encoding, errors="replace")
    return raw[: len(raw) // 2] + junk + raw[len(raw) // 2:] if junk else raw


ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1", "big5", "shift_jis"])
JUNK = st.just(b"") | st.binary(min_size=1, max_size=6) | st.sampled_from([b"\xff\xfe", b"\x80", b"\xef\xbb", b"\x00"])


def xlsx_bytes(table: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils.exceptions import IllegalCharacterError

    book = Workbook()
    sheet = book.active
    try:
        for row in table:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
    except (IllegalCharacterError, ValueError, TypeError, OverflowError):
        assume(False)  # openpyxl cannot write it: no file to read
    return out.getvalue()


GOOD_XLSX = xlsx_bytes([template_header(), ["CD260001", "Course", "", "2026-03-01", "2026-03-02", 2, "", "", "", ""]])


@st.composite
def broken_xlsx(draw: st.DrawFn) -> bytes:
    """Not a zip, a truncated workbook, a workbook with bytes flipped, or a zip of something else."""
    how = draw(st.sampled_from(["random", "truncated", "flipped", "other_zip", "empty", "csv_named_xlsx"]))
    if how == "random":
        return draw(st.binary(max_size=300))
    if how == "truncated":
        return GOOD_XLSX[: draw(st.integers(0, len(GOOD_XLSX) - 1))]
    if how == "flipped":
        raw = bytearray(GOOD_XLSX)
        for _ in range(draw(st.integers(1, 8))):
            raw[draw(st.integers(0, len(raw) - 1))] ^= draw(st.integers(1, 255))
        return bytes(raw)
    if how == "other_zip":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for name in draw(st.lists(st.sampled_from(["[Content_Types].xml", "xl/workbook.xml", "a.txt",
                                                       "xl/worksheets/sheet1.xml", "_rels/.rels"]), max_size=4)):
                archive.writestr(name, draw(st.binary(max_size=50)))
        return out.getvalue()
    if how == "empty":
        return b""
    return b"cadre id,training name\n"


# --- the invariant -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory):
    engine = connect(f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _good_offline(row: OfflineRow) -> None:
    assert row.cadre_id.strip() and row.training.strip()
    assert in_window(row.start) and in_window(row.end), f"line {row.line}: {row.start}..{row.end} outside the window"
    assert row.start <= row.end
    for name in ("days", "hours", "leave_hours"):
        value = getattr(row, name)
        assert value is None or (math.isfinite(value) and value >= 0), f"line {row.line}: {name} {value!r}"
    assert row.days is not None or row.hours is not None


def _good_exemption(row: ExemptionRow) -> None:
    assert row.cadre_id.strip() and row.reason.strip(), "a blank exemption was accepted"
    assert in_window(row.start) and in_window(row.end), f"{row.cadre_id}: {row.start}..{row.end} outside the window"
    assert row.start <= row.end and row.effect in ("full", "prorate")


def offline_file(engine: Any, raw: bytes, suffix: str) -> None:
    """Read, check and import one offline-training file: a clear refusal leaves the store as it was."""
    before = counts(engine)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"offline{suffix}"
        path.write_bytes(raw)
        rows, _ = refused_or(lambda: parse_offline(path), ImportError_)
    if rows is None:
        assert counts(engine) == before
        return
    for row in rows:
        _good_offline(row)
    imported, refused = refused_or(lambda: import_offline(engine, rows, path.name), ImportError_, ValueError)
    after = counts(engine)
    if imported is None:
        assert after == before, f"refused ({refused}) yet the store changed"
    else:
        assert after["offline_records"] == before["offline_records"] + imported[0]


def exemptions_file(engine: Any, raw: bytes, suffix: str) -> None:
    before = counts(engine)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"exemptions{suffix}"
        path.write_bytes(raw)
        rows, _ = refused_or(lambda: read_exemptions(path), ImportError_)
    if rows is None:
        assert counts(engine) == before
        return
    for row in rows:
        _good_exemption(row)
    imported, refused = refused_or(lambda: import_exemptions(engine, rows), ImportError_, ValueError)
    after = counts(engine)
    if imported is None:
        assert after == before, f"refused ({refused}) yet the store changed"
    else:
        assert after["exemptions"] == before["exemptions"] + imported[0]


# --- CSV ---------------------------------------------------------------------------------------------------------

@fuzz(150)
@given(plausible(template_header(), offline_row_cells()) | plausible(template_header("zh"), offline_row_cells())
       | tables(template_header(), TEXT_CELLS), ENCODINGS, JUNK)
def test_offline_csv(store, table, encoding, junk):
    offline_file(store, csv_bytes(table, encoding, junk), ".csv")


@fuzz(150)
@given(plausible(EXEMPTION_HEADER, exemption_row_cells()) | tables(EXEMPTION_HEADER, TEXT_CELLS), ENCODINGS, JUNK)
def test_exemptions_csv(store, table, encoding, junk):
    exemptions_file(store, csv_bytes(table, encoding, junk), ".csv")


@fuzz(100)
@given(st.binary(max_size=400))
def test_csv_of_any_bytes(store, raw):
    offline_file(store, raw, ".csv")
    exemptions_file(store, raw, ".csv")


# --- Excel -------------------------------------------------------------------------------------------------------

@fuzz(100)
@given(plausible(template_header(), offline_row_cells()) | tables(template_header(), EXCEL_CELLS))
def test_offline_xlsx(store, table):
    offline_file(store, xlsx_bytes(table), ".xlsx")


@fuzz(100)
@given(plausible(EXEMPTION_HEADER, exemption_row_cells()) | tables(EXEMPTION_HEADER, EXCEL_CELLS))
def test_exemptions_xlsx(store, table):
    exemptions_file(store, xlsx_bytes(table), ".xlsx")


@fuzz(150)
@given(broken_xlsx(), st.sampled_from([".xlsx", ".xlsm", ".XLSX"]))
def test_broken_workbooks(store, raw, suffix):
    offline_file(store, raw, suffix)
    exemptions_file(store, raw, suffix)


def test_a_good_workbook_imports(store):
    offline_file(store, GOOD_XLSX, ".xlsx")


# Found by this harness (issue 11): a cadre id or reason of spaces only was accepted, a blank exemption.
@fuzz(50)
@given(st.sampled_from([" ", "  ", "\t", "\u3000"]), st.booleans())
def test_an_exemption_with_a_blank_cadre_or_reason_is_refused(blank, blank_reason):
    cadre_id, reason = ("CD260001", blank) if blank_reason else (blank, "illness")
    rows, _ = refused_or(lambda: imported_rows([(1, EXEMPTION_HEADER), (2, [cadre_id, reason, "2026-03-01",
                                                                          "2026-03-31", "full"])], "x.csv"),
                         ImportError_)
    assert rows is not None
    assert all(r.cadre_id.strip() and r.reason.strip() for r in rows[0]), "a blank exemption was accepted"
