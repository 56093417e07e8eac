"""Reading the completions report: every page, staged, parsed; re-read when it moves while paged.

Moodle re-runs the whole report (count and sort) for every page, so pages are made big enough for
at most ``report_max_pages`` of them: a province's 800,000 rows in 10 pages cost a tenth of 160
pages of 5,000. A row that does not read is named in the summary and left out (its enrolment and
completion keep their last known values), never failing the others.
"""

from __future__ import annotations

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
Cells = list[str | None]


class ReportReader:
    def __init__(self, run: Run, report_id: int) -> None:
        self.run = run
        self.report_id = report_id
        self.has_grade = False  # the report has a Grade column (known once its first page is read)
        self.rejected_idnumbers: set[str] = set()  # users of report rows that could not be read
        self.total: int | None = None  # rows read, remembered to size the next run's pages

    def read(self) -> list[ParticipationRow]:
        """Every page, staged; re-read from the start when the row count moves while paging."""
        s = self.run.settings.sync
        with self.run.connection() as connection:
            last_total = mirror.get_state(connection, "report", str(self.report_id)) or 0
        size = self._page_size(last_total)
        for attempt in range(1, s.report_attempts + 1):
            first = self._page(0, size)
            where = report_rows.layout(first.data.headers)
            # The course total in the report: no per-course grade report reads at all.
            self.has_grade = where.has("grade")
            total = first.data.totalrowcount
            if self._page_size(total) > size:  # bigger than last time: fewer, bigger pages
                size = self._page_size(total)
                first = self._page(0, size)
                total = first.data.totalrowcount
            pages, stable = [first], True
            later = self.run.client.call_many([Call(FUNCTION, {"reportid": self.report_id, "page": p, "perpage": size})
                                               for p in range(1, -(-total // size))])
            for answer in later:
                if isinstance(answer, MoodleError):
                    raise answer
                if answer.data.totalrowcount != total or answer.data.headers != first.data.headers:
                    stable = False
                pages.append(answer)
            rows = [row.columns for page in pages for row in page.data.rows]
            if stable and len(rows) == total:
                self.total = total
                return self._parse(rows, where)
            log.warning("sync.report_moved", attempt=attempt, total=total, read=len(rows))
        raise ReportUnstable(f"report {self.report_id} changed while being read, {s.report_attempts} times; "
                             "nothing was applied (try again later)")

    def _page(self, page: int, size: int) -> RetrievedReport:
        answer: RetrievedReport = self.run.client.call(FUNCTION, reportid=self.report_id, page=page, perpage=size)
        return answer

    def _page_size(self, total: int) -> int:
        s = self.run.settings.sync
        wanted = -(-total // s.report_max_pages)
        return max(s.report_page_size, -(-wanted // 1000) * 1000)

    def _parse(self, rows: list[Cells], where: report_rows.Layout) -> list[ParticipationRow]:
        parsed, failures = [], []
        for index, columns in enumerate(rows):
            try:
                parsed.append(report_rows.parse_row(columns, where, self.run.settings.sync.report_timezone))
            except ValueError as exc:
                failures.append(f"report row {index + 1} ({report_rows.describe(columns, where)}): {exc}")
                user = report_rows.raw_cell(columns, where, "user_idnumber")
                if user:
                    self.rejected_idnumbers.add(user)
        if len(failures) > max(REJECTED_ROWS_TOLERATED, len(rows) // 100):
            # Not odd rows but a format the sync does not read (a language, a Moodle upgrade):
            # applying the rest would present a stale mirror as fresh.
            raise ReportLayoutError(
                f"{len(failures)} of {len(rows)} report rows could not be read, e.g. {failures[0]}; "
                "nothing from the report was applied")
        for failure in failures:
            self.run.summary.oddities[N_("report rows that could not be read (kept as last known)")] += 1
            self.run.summary.rejected.append(failure)
            log.warning("sync.row_rejected", row=failure)
        return parsed
