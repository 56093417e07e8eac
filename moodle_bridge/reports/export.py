"""The one writer of tables for spreadsheets: CSV (UTF-8 with a BOM) and Excel, to a path or to bytes.

Text cells go through `cells.safe_cell` (Moodle text is never run as a formula or turned into a link); numbers stay
numbers. A `Shown` cell (`cells`) is a number with the way it reads: its text in CSV (3.8%, +0.4: a spreadsheet
program reads them as numbers again), the number with a number format in Excel.

Each Excel sheet prints on A4, fitted to the page's width, its header row repeated on every page (landscape unless
the sheet says otherwise); above the header, the sheet's caption (the report's title, period and as-of day) when it
has one; the header bold and frozen, an autofilter over the rows, the footer rows (a total) bold below them and out of
the filter, columns as wide as their text.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

from .cells import WORKBOOK_OPTIONS, Shown, safe_cell

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
A4 = 9  # Excel's paper size number
HEADER_WIDTH = 16  # a header longer than this wraps rather than widens its column
MAX_WIDTH = 60  # a text longer than this wraps
__all__ = ["CSV_MEDIA_TYPE", "XLSX_MEDIA_TYPE", "Sheet", "Shown", "csv_bytes", "json_bytes", "write", "write_csv",
           "write_xlsx", "xlsx_bytes"]


@dataclass(frozen=True)
class Sheet:
    """One table: a title (the Excel sheet's name; a title row in a CSV of several tables), headers, rows; the
    footer rows below them (a total row); the caption Excel shows above the header (the report's title, period and
    as-of day; CSV keeps the header first); landscape or portrait in print."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)
    footer: Sequence[Sequence[Any]] = ()
    caption: str = ""
    landscape: bool = True


def csv_bytes(sheets: Sequence[Sheet]) -> bytes:
    """One CSV; several tables follow each other, each under its title, a blank row between them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for index, sheet in enumerate(sheets):
        if len(sheets) > 1:
            if index:
                writer.writerow([])
            writer.writerow([sheet.title])
        writer.writerow(sheet.headers)
        writer.writerows([[_csv_cell(cell) for cell in row] for row in [*sheet.rows, *sheet.footer]])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM: spreadsheet programs then read Chinese right


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    output = io.BytesIO()
    _write_xlsx(sheets, output, {"in_memory": True})
    return output.getvalue()


def write_csv(sheets: Sequence[Sheet], path: Path) -> Path:
    path.write_bytes(csv_bytes(sheets))
    return path


def write_xlsx(sheets: Sequence[Sheet], path: Path) -> Path:
    _write_xlsx(sheets, str(path), {})
    return path


def write(sheets: Sequence[Sheet], path: Path) -> Path:
    """Excel for a path ending in .xlsx, CSV otherwise."""
    return write_xlsx(sheets, path) if path.suffix.lower() == ".xlsx" else write_csv(sheets, path)


def json_bytes(data: Any) -> bytes:
    """Data (dataclasses, lists, dicts) as indented UTF-8 JSON; dates and the like as text."""
    return json.dumps(_plain(data), ensure_ascii=False, indent=2, default=str).encode()


def _plain(data: Any) -> Any:
    if is_dataclass(data) and not isinstance(data, type):
        return asdict(data)
    if isinstance(data, list):
        return [_plain(item) for item in data]
    return data


def _csv_cell(cell: Any) -> Any:
    return cell.text if isinstance(cell, Shown) else safe_cell(cell)


def _width(cell: Any) -> int:
    """How many columns of Latin letters a cell's text takes: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in str(cell))


def _write_xlsx(sheets: Sequence[Sheet], target: Any, options: dict[str, Any]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(target, {**options, **WORKBOOK_OPTIONS, "default_date_format": "yyyy-mm-dd"})
    caption = book.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    header = book.add_format({"bold": True, "bg_color": "#F2F4F7", "border": 1, "text_wrap": True,
                              "valign": "vcenter"})
    wrapped = book.add_format({"text_wrap": True, "valign": "top"})
    formats: dict[tuple[str | None, bool], Any] = {(None, False): None}  # None: the column's own format

    def cell_format(number_format: str | None, bold: bool) -> Any:
        key = (number_format, bold)
        if key not in formats:
            formats[key] = book.add_format({**({"num_format": number_format} if number_format else {}),
                                            **({"bold": True, "top": 1} if bold else {})})
        return formats[key]

    for sheet in sheets:
        page = book.add_worksheet(sheet.title[:31])
        columns = max(1, len(sheet.headers))
        top = 0
        if sheet.caption:
            if columns > 1:
                page.merge_range(0, 0, 0, columns - 1, sheet.caption, caption)
            else:
                page.write_string(0, 0, sheet.caption, caption)
            page.set_row(0, 28)
            top = 1
        page.write_row(top, 0, list(sheet.headers), header)
        body = [*sheet.rows, *sheet.footer]
        for n, row in enumerate(body, start=top + 1):
            bold = n > top + len(sheet.rows)
            for column, cell in enumerate(row):
                if isinstance(cell, Shown) and cell.value is not None:
                    page.write_number(n, column, cell.value, cell_format(cell.excel_format, bold))
                elif isinstance(cell, Shown):  # no figure: its text, ours
                    page.write_string(n, column, cell.text, cell_format(None, bold))
                else:
                    page.write(n, column, safe_cell(cell), cell_format(None, bold))
        header_lines = 1
        for column, title in enumerate(sheet.headers):
            # as wide as the widest figure or text (a long header wraps; a long text wraps at 60)
            longest = max([min(_width(title), HEADER_WIDTH)] + [_width(r[column]) for r in body if column < len(r)])
            width = min(MAX_WIDTH, max(8.0, longest * 1.1 + 2))
            page.set_column(column, column, width, wrapped if longest * 1.1 + 2 > MAX_WIDTH else None)
            header_lines = max(header_lines, -(-_width(title) // int(width - 1)))
        page.set_row(top, 15 * header_lines + 3)
        page.freeze_panes(top + 1, 0)
        page.autofilter(top, 0, top + max(1, len(sheet.rows)), columns - 1)
        _print_setup(page, sheet, top)
    book.close()


def _print_setup(page: Any, sheet: Sheet, header_row: int) -> None:
    """A4, as wide as the paper (as many pages down as it takes), the header on every page."""
    page.set_paper(A4)
    if sheet.landscape:
        page.set_landscape()
    page.fit_to_pages(1, 0)
    page.repeat_rows(header_row)
    page.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    page.set_footer("&C&P / &N")
