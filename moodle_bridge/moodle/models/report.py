from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from ._base import MoodleModel, Warning


class ReportDetails(MoodleModel):
    """A report builder report's definition; only what the sync and doctor look at is kept."""

    ignored_keys = frozenset({
        "type", "uniquerows", "settingsdata", "contextid", "component", "area", "itemid",
        "usercreated", "usermodified", "tags", "customfields", "modifiedby",
    })

    id: int
    name: str | None
    source: str
    sourcename: str | None
    conditiondata: str | None
    timecreated: int
    timemodified: int


def _cell_text(value: object) -> object:
    """Cells are declared ``raw``: text as a rule, but an aggregation can come as a number."""
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


class ReportRow(MoodleModel):
    columns: list[Annotated[str | None, BeforeValidator(_cell_text)]]


class ReportData(MoodleModel):
    """Rows are positional display strings; two headers can be the same label."""

    headers: list[str]
    rows: list[ReportRow]
    totalrowcount: int


class RetrievedReport(MoodleModel):
    """``core_reportbuilder_retrieve_report``: one page of a custom report."""

    details: ReportDetails
    data: ReportData
    warnings: list[Warning] = []


class ReportList(MoodleModel):
    """``core_reportbuilder_list_reports``: the custom reports the token's user may view."""

    reports: list[ReportDetails]
    warnings: list[Warning] = []
