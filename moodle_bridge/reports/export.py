"""The one writer of tables for spreadsheets: CSV (UTF-8 with a BOM) and Excel, to a path or to bytes.

Every cell goes through `cells.safe_cell` (Moodle text is never run as a formula or turned into a link); numbers stay
numbers. A `Shown` cell is a number with the way it reads: the text in CSV, the number with a number format in Excel.
Each Excel sheet has a bold, frozen header row, an autofilter and columns as wide as their text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

from .cells import WORKBOOK_OPTIONS, safe_cell

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Shown:
    """A number and how it reads, e.g. Shown(0.5, "50.0%", "0.0%"): "50.0%" in CSV, 0.5 shown as 50.0% in Excel."""

    value: float
    text: str
    excel_format: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Sheet:
    """One table: a title (the Excel sheet's name; a title row in a CSV of several tables), headers, rows."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)


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
        writer.writerows([[safe_cell(_text(cell)) for cell in row] for row in sheet.rows])
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


def _text(cell: Any) -> Any:
    return cell.text if isinstance(cell, Shown) else cell


def _write_xlsx(sheets: Sequence[Sheet], target: Any, options: dict[str, Any]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(target, {**options, **WORKBOOK_OPTIONS})
    header = book.add_format({"bold": True, "bg_color": "#F2F4F7", "border": 1})
    formats: dict[str, Any] = {}
    for sheet in sheets:
        page = book.add_worksheet(sheet.title[:31])
        page.write_row(0, 0, list(sheet.headers), header)
        for n, row in enumerate(sheet.rows, start=1):
            for column, cell in enumerate(row):
                if isinstance(cell, Shown):
                    number_format = formats.setdefault(cell.excel_format,
                                                       book.add_format({"num_format": cell.excel_format}))
                    page.write_number(n, column, cell.value, number_format)
                else:
                    page.write(n, column, safe_cell(cell))
        for column, title in enumerate(sheet.headers):
            longest = max([len(str(title))] + [len(str(row[column])) for row in sheet.rows if column < len(row)])
            page.set_column(column, column, min(60, max(8, longest * 1.2 + 2)))
        page.freeze_panes(1, 0)
        page.autofilter(0, 0, max(1, len(sheet.rows)), max(0, len(sheet.headers) - 1))
    book.close()
