"""Reading a custom report: every page, staged, parsed; re-read when it moves while paged.

Moodle re-runs the whole report (count and sort) for every page, so pages are made big enough for
at most ``report_max_pages`` of them: a province's 800,000 rows in 10 pages cost a tenth of 160
pages of 5,000. A row that does not read is named in the summary and left out (its enrolment and
completion keep their last known values), never failing the others.

With ``sync.report_filters`` a report is also read through its filters
(``core_reportbuilder_set_filters``): Moodle keeps the values as the integration user's preference
for that report (``user_filter_manager``) and applies them to every later read of it by that user,
until they are set again or reset. So a read through filters sets them first, and an unfiltered
read resets them first whenever the service allows (a run killed after setting them must not leave
the next unfiltered read filtered). Filter values persist per user, not per request: two reads of
the same report with different filters cannot overlap, and only one moodle_bridge may use the
integration user.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import structlog

from ...i18n import N_
from ...moodle import Call, MoodleError
from ...moodle.models import RetrievedReport
from ...store import mirror
from .. import report as report_rows
from ..report import ParticipationRow, ReportLayoutError, ReportUnstable
from ..runner import Run

log = structlog.get_logger("moodle_bridge.sync")

# Unreadable report rows left out, named, and the rest applied: up to this many, or 1% of the rows.
REJECTED_ROWS_TOLERATED = 10
FUNCTION = "core_reportbuilder_retrieve_report"
SET_FILTERS, RESET_FILTERS = "core_reportbuilder_set_filters", "core_reportbuilder_filters_reset"
Cells = list[str | None]
T = TypeVar("T")
# Moodle's date filter (core_reportbuilder\local\filters\date): "range" keeps from <= value < to (0: open).
DATE_RANGE = 3


def since(filter_name: str, start: int) -> dict[str, Any]:
    """Filter values: the date filter ``filter_name`` ("entity:name") from ``start`` on."""
    return {f"{filter_name}_operator": DATE_RANGE, f"{filter_name}_from": start, f"{filter_name}_to": 0}


def by_courses(course_ids: list[int]) -> dict[str, Any]:
    """Filter values: the course selector filter, these courses only."""
    return {"course:courseselector_values": course_ids}


class ReportPages:
    """The raw pages of one report, read whole or through filter values."""

    def __init__(self, run: Run, report_id: int) -> None:
        self.run = run
        self.report_id = report_id
        self.headers: list[str] | None = None

    def filters(self, values: dict[str, Any] | None) -> None:
        """Set the integration user's filter values for this report; None: reset them (when the
        service allows: without the function, none can have been set by this program)."""
        if values is not None:
            self.run.client.call(SET_FILTERS, reportid=self.report_id, values=json.dumps(values))
        elif RESET_FILTERS in self.run.functions:
            self.run.client.call(RESET_FILTERS, reportid=self.report_id)

    def read(self, size: int, together: int, values: dict[str, Any] | None) -> list[Cells]:
        """Every row under ``values`` (None: the whole report), pages of ``size``: the first
        ``together`` pages at once (1 when the total is unknown), then every other page at once;
        read again from the start when the count or the columns move while paging."""
        s = self.run.settings.sync
        self.filters(values)
        for attempt in range(1, s.report_attempts + 1):
            first = self._pages(range(together), size)
            total = first[0].data.totalrowcount
            pages = first + self._pages(range(together, -(-total // size)), size)
            headers = pages[0].data.headers
            stable = all(p.data.totalrowcount == total and p.data.headers == headers for p in pages)
            rows = [row.columns for page in pages for row in page.data.rows]
            if stable and len(rows) == total:
                self.headers = headers
                return rows
            log.warning("sync.report_moved", report=self.report_id, attempt=attempt, total=total, read=len(rows))
        raise ReportUnstable(f"report {self.report_id} changed while being read, {s.report_attempts} times; "
                             "nothing was applied (try again later)")

    def _pages(self, numbers: range, size: int) -> list[RetrievedReport]:
        if not numbers:
            return []
        answers = self.run.client.call_many([Call(FUNCTION, {"reportid": self.report_id, "page": p, "perpage": size})
                                             for p in numbers])
        pages: list[RetrievedReport] = []
        for answer in answers:
            if isinstance(answer, MoodleError):
                raise answer
            pages.append(answer)
        return pages


def page_size(run: Run, expected: int, pages: int, spare: int = 5) -> int:
    """A page size for ``expected`` rows in ``pages`` pages, ``spare`` % to spare (a last page of a
    few rows would cost a whole re-run of the query): at least sync.report_page_size, in thousands."""
    wanted = -(-expected * (100 + spare) // (100 * max(1, pages)))
    return max(run.settings.sync.report_page_size, -(-wanted // 1000) * 1000)


def parse_all(run: Run, rows: list[Cells], parse: Callable[[Cells], T], describe: Callable[[Cells], str],
              what: str) -> tuple[list[T], list[Cells]]:
    """Each row parsed; unreadable ones named in the summary and left out (returned apart), unless so
    many fail that the format itself must be wrong (a language, a Moodle upgrade): then nothing."""
    parsed, failures, rejected = [], [], []
    for index, columns in enumerate(rows):
        try:
            parsed.append(parse(columns))
        except ValueError as exc:
            failures.append(f"{what} row {index + 1} ({describe(columns)}): {exc}")
            rejected.append(columns)
    if len(failures) > max(REJECTED_ROWS_TOLERATED, len(rows) // 100):
        raise ReportLayoutError(
            f"{len(failures)} of {len(rows)} {what} rows could not be read, e.g. {failures[0]}; "
            f"nothing from the {what} was applied")
    for failure in failures:
        run.summary.oddities[N_("report rows that could not be read (kept as last known)")] += 1
        run.summary.rejected.append(failure)
        log.warning("sync.row_rejected", row=failure)
    return parsed, rejected


class ReportReader:
    """The completions report, parsed: whole, by groups of courses, or only rows matching filters."""

    def __init__(self, run: Run, report_id: int) -> None:
        self.run = run
        self.report_id = report_id
        self.pages = ReportPages(run, report_id)
        self.has_grade = False  # the report has a Grade column (known once its first page is read)
        self.rejected_idnumbers: set[str] = set()  # users of report rows that could not be read
        self.total: int | None = None  # rows read, remembered to size the next run's pages

    def read(self) -> list[ParticipationRow]:
        """The whole report at once: its first page alone (its count sizes the others), then the
        others together; pages as big as the last run's count asks."""
        s = self.run.settings.sync
        with self.run.connection() as connection:
            last_total = mirror.get_state(connection, "report", str(self.report_id)) or 0
        size = self._page_size(last_total)
        self.pages.filters(None)
        for attempt in range(1, s.report_attempts + 1):
            first = self.pages._pages(range(1), size)[0]
            where = report_rows.layout(first.data.headers)
            self.has_grade = where.has("grade")
            total = first.data.totalrowcount
            if self._page_size(total) > size:  # bigger than last time: fewer, bigger pages
                size = self._page_size(total)
                first = self.pages._pages(range(1), size)[0]
                total = first.data.totalrowcount
            pages = [first, *self.pages._pages(range(1, -(-total // size)), size)]
            stable = all(p.data.totalrowcount == total and p.data.headers == first.data.headers for p in pages)
            rows = [row.columns for page in pages for row in page.data.rows]
            if stable and len(rows) == total:
                self.total = total
                return self._parse(rows, where)
            log.warning("sync.report_moved", attempt=attempt, total=total, read=len(rows))
        raise ReportUnstable(f"report {self.report_id} changed while being read, {s.report_attempts} times; "
                             "nothing was applied (try again later)")

    def read_by_courses(self, courses: list[tuple[int, str | None]], counts: dict[int, int]) -> list[ParticipationRow]:
        """The whole report, one group of courses after another through the course selector filter:
        each page's query then runs over its group's rows only. Groups hold about
        sync.report_partition_rows rows by ``counts`` (the mirror's enrolments per course); a course
        without a count counts as the average seen so far (1,000 before any). A row of a course
        outside its group means the filter is not on the report."""
        limit = self.run.settings.sync.report_partition_rows
        staged: list[ParticipationRow] = []
        seen_rows = seen_courses = 0
        rest = list(courses)
        while rest:
            guess = seen_rows // seen_courses if seen_courses else 1000
            group: list[tuple[int, str | None]] = []
            expected = 0
            while rest and (not group or expected + counts.get(rest[0][0], guess) <= limit):
                course = rest.pop(0)
                group.append(course)
                expected += counts.get(course[0], guess)
            rows = self.pages.read(page_size(self.run, expected, 2), 2, by_courses([c for c, _ in group]))
            parsed = self._parse(rows, self._layout())
            idnumbers = {i for _, i in group if i}
            strays = sorted({r.course_idnumber for r in parsed
                             if r.course_idnumber and r.course_idnumber not in idnumbers})
            if strays:
                raise ReportLayoutError(
                    f"report {self.report_id} read for {len(group)} courses gave rows of others (e.g. "
                    f"{strays[0]}): it lacks the filter 'Course: Select courses' (README, The completions "
                    "report), or set sync.report_filters = false")
            staged += parsed
            seen_rows, seen_courses = seen_rows + len(rows), seen_courses + len(group)
        self.pages.filters(None)
        self.total = seen_rows
        return staged

    def read_since(self, values: dict[str, Any]) -> list[ParticipationRow]:
        """The rows the filter values select (a few, on an incremental sync)."""
        rows = self.pages.read(self.run.settings.sync.report_page_size, 1, values)
        return self._parse(rows, self._layout())

    def _layout(self) -> report_rows.Layout:
        assert self.pages.headers is not None
        where = report_rows.layout(self.pages.headers)
        self.has_grade = where.has("grade")
        return where

    def _page_size(self, total: int) -> int:
        return page_size(self.run, total, self.run.settings.sync.report_max_pages, spare=0)

    def _parse(self, rows: list[Cells], where: report_rows.Layout) -> list[ParticipationRow]:
        tz = self.run.settings.sync.report_timezone
        parsed, rejected = parse_all(self.run, rows, lambda columns: report_rows.parse_row(columns, where, tz),
                                     lambda columns: report_rows.describe(columns, where), "report")
        self.rejected_idnumbers |= {u for columns in rejected if (u := report_rows.raw_cell(columns, where,
                                                                                            "user_idnumber"))}
        return parsed
