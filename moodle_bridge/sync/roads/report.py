"""Road 1: the completions report. One report read gives every enrolment, active or not, with its
completion (and, with a Grade column, its course total); a few web service calls refine it.

Rows are staged whole (``report_pages``), the users they name are looked up, then each course's
rows are placed in one partition. Report times are shown to the minute: a completion at a period
boundary is asked of Moodle to the second, and a few times are checked against Moodle's to catch
a wrong ``report_timezone``. Absence from the report is confirmed with Moodle before anyone is
marked unenrolled.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

import structlog
from sqlalchemy import Connection

from ...i18n import N_
from ...moodle import AccessDenied, Call, MissingCapability, MoodleError, NotFound
from ...moodle.models import CourseCompletionStatus
from ...store import mirror, mirror_reads
from ...store.diff import Changes, Key, Row, diff
from ...store.schema import mirror_completions, mirror_enrolments, mirror_grades
from .. import profiles as profile_rows
from .. import report as report_rows
from ..calls import completion_calls, enrolled_students
from ..entities import grades, users
from ..entities.enrolments import unenrolled
from ..report import ParticipationRow, ReportLayoutError, ReportUnstable, merge_rows
from ..runner import Partition, Run
from . import report_pages
from .base import Road
from .report_pages import ReportReader

log = structlog.get_logger("moodle_bridge.sync")

# The entities the report holds; a report that cannot be read fails them all.
FROM_REPORT = ("enrolments", "completions", "users", "grades")
Entries = list[tuple[int, ParticipationRow]]  # a course's report rows, by mirrored user id


class CourseReads:
    """What Moodle said about one course's report rows (read on the pool, applied in order)."""

    def __init__(self, entries: Entries, inactive: set[int], exact: dict[int, int | None], unrefined: int,
                 still_enrolled: set[int]) -> None:
        self.entries = entries
        self.inactive = inactive  # learners Moodle lists as suspended (when the report has no Status)
        self.exact = exact  # completion times to the second, of rows at a period boundary
        self.unrefined = unrefined  # boundary rows left to the minute (inactive: Moodle will not say)
        self.still_enrolled = still_enrolled  # mirrored learners the report lacks that Moodle still enrols


class ReportRoad(Road):
    name = "report"

    def __init__(self) -> None:
        self.has_grade = False  # the report has a Grade column (known once read)
        self.grades_from_report = False  # grades are taken from the report in this run
        self.complete = True  # the whole report is read (not only what changed since the last read)

    def took(self, entity: str) -> bool:
        return entity == "grades" and self.grades_from_report

    def cannot_see(self, entity: str) -> bool:
        return entity == "grades" and not self.has_grade

    def read(self, run: Run) -> None:
        report_id = run.settings.moodle.completions_report_id
        assert report_id is not None  # roads.choose takes this road only with a report id
        wants = run.options.wants
        staged: list[ParticipationRow] = []
        reader = ReportReader(run, report_id)
        last = self._last_read(run, report_id)
        self.complete = not (filters_usable(run) and last is not None and not run.options.full
                             and run.moodle_now - last["full"] < run.settings.sync.report_full_every_hours * 3600)
        if any(wants(e) for e in FROM_REPORT):
            try:
                staged = self._stage(run, reader, last)
            except (MoodleError, ReportUnstable, ReportLayoutError) as exc:
                run.failed.update(FROM_REPORT)
                run.summary.errors.append(_failure(report_id, exc))
                log.error("sync.report_failed", error=str(exc))
                return
            finally:
                self.has_grade = reader.has_grade
                self.grades_from_report = self.has_grade and run.settings.features.grades and wants("grades")
        if wants("users"):
            # Users of unreadable rows are looked up too: left out of the report is not "left".
            idnumbers = sorted({r.user_idnumber for r in staged if r.user_idnumber} | reader.rejected_idnumbers)
            run.guard("users", lambda: self._users(run, idnumbers))
        if wants("enrolments") or wants("completions") or self.grades_from_report:
            run.guard("completions", lambda: self._apply(run, staged, reader.total))
            # The next incremental read starts from this one only if this one placed every row it could:
            # rows of users not synced in this run (--only) would wait for the next full read.
            if all(wants(e) for e in FROM_REPORT[:3]) and not run.failed & {"completions", "users"}:
                self._remember_read(run, report_id, last)

    def _stage(self, run: Run, reader: ReportReader, last: dict[str, int] | None) -> list[ParticipationRow]:
        """Every row (a full read: whole, or course group by course group through the filters), or on
        an incremental sync the rows the filters show changed since the last read: completions made,
        enrolments created (and what an incremental read cannot see waits for the next full one)."""
        if self.complete:
            if filters_usable(run) and run.settings.sync.report_partition_rows:
                return reader.read_by_courses(*self._courses(run))
            return reader.read()
        assert last is not None
        start = last["since"] - int(run.settings.sync.report_overlap_minutes * 60)
        completed = reader.read_since(report_pages.since("completion:timecompleted", start))
        strays = [r for r in completed if not (r.completed and r.time_completed and r.time_completed.last >= start)]
        if strays:
            raise ReportLayoutError(
                f"report {reader.report_id} read for completions since {start} gave other rows (e.g. course "
                f"{strays[0].course_idnumber}, user {strays[0].user_idnumber}): it lacks the filter 'Course "
                "completion: Time completed' (README, The completions report), or set sync.report_filters = false")
        created = reader.read_since(report_pages.since("enrolment:timecreated", start))
        reader.pages.filters(None)
        _whole_despite_filter(run, reader.report_id, len(created))
        return completed + created

    @staticmethod
    def _courses(run: Run) -> tuple[list[tuple[int, str | None]], dict[int, int]]:
        """The mirror's courses (id, ID number) and its enrolment counts, to group them by."""
        with run.connection() as connection:
            courses = [(c["id"], c["idnumber"]) for c in mirror_reads.live_courses(connection)]
            return courses, mirror_reads.enrolments_per_course(connection)

    def _users(self, run: Run, idnumbers: list[str]) -> None:
        """The users the rows name (and the cohorts hold): from the profiles report when there is one,
        else (and for whoever it lacks) looked up by ID number or id."""
        profiles_id = run.settings.moodle.profiles_report_id
        if profiles_id is None:
            users.sync(run, idnumbers=idnumbers, scope_enrolled=not self.complete, only_new=not self.complete)
            return
        last = self._last_read(run, profiles_id)
        complete = self.complete or last is None
        with run.connection() as connection:
            expected = len(mirror_reads.cohort_member_ids(connection) | mirror_reads.live_user_ids(connection))
            expected = max(expected, mirror.get_state(connection, "report", str(profiles_id)) or 0)
        pages = report_pages.ReportPages(run, profiles_id)
        if complete:
            rows = pages.read(report_pages.page_size(run, expected, 2), 2 if expected else 1, None)
        else:
            assert last is not None
            start = last["since"] - int(run.settings.sync.report_overlap_minutes * 60)
            rows = pages.read(run.settings.sync.report_page_size, 1, report_pages.since("user:timemodified", start))
            pages.filters(None)
            _whole_despite_filter(run, profiles_id, len(rows))
        assert pages.headers is not None
        field = run.settings.sync.cadre_id_field
        where = profile_rows.layout(pages.headers, field)
        read, _rejected = report_pages.parse_all(run, rows, lambda c: profile_rows.parse_row(c, where, field),
                                                 lambda c: profile_rows.describe(c, where), "profiles report")
        users.sync(run, idnumbers=idnumbers, scope_enrolled=not self.complete, profiles=read,
                   only_new=not self.complete)
        if "users" not in run.failed:
            run.partition("users", Partition(
                f"report:{profiles_id}:read", lambda: None,
                partial(_remember, profiles_id, complete, len(rows) if complete else None, last, run.moodle_now)))

    @staticmethod
    def _last_read(run: Run, report_id: int) -> dict[str, int] | None:
        """When this report was last read whole (``full``) and at all (``since``), by Moodle's clock."""
        with run.connection() as connection:
            state = mirror.get_state(connection, "report_read", str(report_id))
        return state if isinstance(state, dict) else None

    def _remember_read(self, run: Run, report_id: int, last: dict[str, int] | None) -> None:
        run.partition("completions", Partition(
            f"report:{report_id}:read", lambda: None, partial(_remember, report_id, self.complete, None, last,
                                                              run.moodle_now)))

    # --- placing the staged rows, course by course -------------------------------------------------

    def _apply(self, run: Run, staged: list[ParticipationRow], total: int | None) -> None:
        with run.connection() as connection:
            courses = {c["idnumber"]: c["id"] for c in mirror_reads.live_courses(connection) if c["idnumber"]}
            user_ids: dict[str, int] = {}
            duplicates = set()
            for user_id, idnumber in mirror_reads.live_user_idnumbers(connection):
                if idnumber in user_ids:
                    duplicates.add(idnumber)
                user_ids[idnumber] = user_id
        # A full read proves what each course's rows lack; an incremental one only adds what it shows.
        by_course: dict[int, Entries] = {course_id: [] for course_id in courses.values()} if self.complete else {}
        oddities = run.summary.oddities
        for row in staged:
            if not row.user_idnumber:
                oddities[N_("report rows without a user ID number")] += 1
            elif row.course_idnumber not in courses:
                oddities[N_("report rows of unknown courses")] += 1
            elif row.user_idnumber in duplicates:
                oddities[N_("report rows with a user ID number two users share")] += 1
            elif row.user_idnumber not in user_ids:
                oddities[N_("report rows of unknown users")] += 1
            else:
                by_course.setdefault(courses[row.course_idnumber], []).append((user_ids[row.user_idnumber], row))
        needs_status = not staged or staged[0].status is None
        boundaries = _boundaries(run)
        _check_report_times(run, by_course)
        # A grades-only run (--only grades) bookmarks apart, so a later full run's resume redoes
        # the courses' enrolments and completions.
        whole = run.options.wants("enrolments") or run.options.wants("completions")
        entity = "completions" if whole else "grades"
        run.progress.start(entity, len(by_course))
        run.partitions(entity, [
            # An incremental read bookmarks apart: a resumed run that reads whole redoes every course.
            Partition(("course:" if whole else "report:course:") + ("" if self.complete else "changes:")
                      + str(course_id),
                      partial(_fetch, run, course_id, entries, needs_status, boundaries, self.complete),
                      partial(self._apply_course, run, course_id, total))
            for course_id, entries in sorted(by_course.items())])

    def _apply_course(self, run: Run, course_id: int, total: int | None, connection: Connection,
                      data: CourseReads) -> dict[str, Changes]:
        if total is not None:  # the report's size, to size the next run's pages
            mirror.set_state(connection, "report", str(run.settings.moodle.completions_report_id), total)
        run.summary.oddities[N_("completion times left to the minute at a period boundary")] += data.unrefined
        run.summary.oddities[N_("enrolments Moodle has that the report did not show (kept)")] += len(
            data.still_enrolled)
        merged = merge_rows(data.entries)
        if not (run.options.wants("enrolments") or run.options.wants("completions")):  # --only grades
            return {"grades": _report_grades(connection, course_id, merged)}
        enrolments: dict[Key, Row] = {}
        completions: dict[Key, Row] = {}
        resets: list[Key] = []
        existing_completions = mirror.load(connection, mirror_completions, course_id=course_id)
        for user_id, row in merged:
            status = row.status or ("inactive" if user_id in data.inactive else "active")
            key = (course_id, user_id)
            enrolments[key] = {"course_id": course_id, "user_id": user_id, "status": status,
                               "timestart": row.timestart, "timeend": row.timeend}
            if row.completed:
                completions[key] = _completion(course_id, user_id, row, data.exact, existing_completions.get(key))
            else:
                resets.append(key)
        existing = mirror.load(connection, mirror_enrolments, course_id=course_id)
        proven_gone = [k for k in existing if k not in enrolments and k[1] not in data.still_enrolled
                       ] if self.complete else []
        enrolment_changes = diff(existing, enrolments, gone_candidates=proven_gone)
        mirror.apply(connection, mirror_enrolments, enrolment_changes, "unenrolled")
        changes = {"enrolments": enrolment_changes}
        completion_changes = diff(existing_completions, completions, gone_candidates=resets)
        mirror.apply(connection, mirror_completions, completion_changes, "reset")
        completion_changes.gone += unenrolled(connection, existing_completions, enrolment_changes.gone).gone
        changes["completions"] = completion_changes
        if self.grades_from_report:
            changes["grades"] = _report_grades(connection, course_id, merged)
        else:
            grades.mark_due(connection, course_id, changes)
        return changes


def _failure(report_id: int, exc: Exception) -> str:
    """What went wrong with the completions report, and what to check, in one line."""
    if isinstance(exc, NotFound):
        return (f"completions report {report_id}: Moodle has no report with this id "
                "(check moodle.completions_report_id against the report's address)")
    if isinstance(exc, MissingCapability | AccessDenied):
        return (f"completions report {report_id}: the integration user may not view it (give the report "
                f"an audience with the integration user's role; Moodle said: {exc})")
    return f"completions report {report_id}: {exc}"


def _boundaries(run: Run) -> list[int]:
    s = run.settings.sync
    year = datetime.now(UTC).year
    return report_rows.period_starts(year - 6, year + 1, s.organisation_timezone, s.period_start)


def _check_report_times(run: Run, by_course: dict[int, Entries]) -> None:
    """A few report times against Moodle's exact ones: a wrong report_timezone would shift every
    completion by hours, and across a period boundary into the wrong year."""
    sample = [(cid, uid, row) for cid, entries in sorted(by_course.items()) for uid, row in entries
              if row.completed and row.time_completed and row.status != "inactive"][:3]
    if not sample:
        return
    answers = run.client.call_many([Call("core_completion_get_course_completion_status",
                                         {"courseid": cid, "userid": uid}) for cid, uid, _ in sample])
    checked = [(row.time_completed, a.completionstatus.time_completed)
               for (_, _, row), a in zip(sample, answers, strict=False)
               if row.time_completed and isinstance(a, CourseCompletionStatus) and a.completionstatus.time_completed]
    if checked and not any(shown.first <= exact <= shown.last for shown, exact in checked):
        shown, exact = checked[0]
        raise ReportLayoutError(
            f"report dates are {round((shown.first - exact) / 3600, 1)} h off Moodle's exact times: "
            f"sync.report_timezone ({run.settings.sync.report_timezone}) is probably not the integration user's "
            "time zone")


def _fetch(run: Run, course_id: int, entries: Entries, needs_status: bool, boundaries: list[int],
           complete: bool) -> CourseReads:
    """Moodle reads a course's report rows still need: who is inactive, exact boundary times,
    and (after a full read) whether learners missing from the report are really unenrolled."""
    inactive: set[int] = set()
    if needs_status:
        inactive = {u.id for u in enrolled_students(run.client, course_id, "onlysuspended")}
    still_enrolled = _confirm_missing(run, course_id, {u for u, _ in entries}) if complete else set()
    exact: dict[int, int | None] = {}
    ambiguous = [(u, r) for u, r in entries
                 if r.completed and r.time_completed and report_rows.straddles(r.time_completed, boundaries)]
    if ambiguous:
        active = [(u, r) for u, r in ambiguous if (r.status or ("inactive" if u in inactive else "active")) == "active"]
        answers = completion_calls(run, course_id, [u for u, _ in active])
        for (user_id, _), answer in zip(active, answers, strict=False):
            if isinstance(answer, CourseCompletionStatus):
                exact[user_id] = answer.completionstatus.time_completed
    return CourseReads(entries, inactive, exact, len(ambiguous) - len(exact), still_enrolled)


def _confirm_missing(run: Run, course_id: int, in_report: set[int]) -> set[int]:
    """Learners the mirror has in this course that the report lacks, and Moodle still enrols.

    A report read is not atomic: rows can shift between pages with the count unchanged, and a
    row whose user ID number is blank or shared cannot be placed. So absence from the report
    is checked with one participants call before anyone is marked unenrolled.
    """
    with run.connection() as connection:
        missing = {k[1] for k, row in mirror.load(connection, mirror_enrolments, course_id=course_id).items()
                   if row["gone_at"] is None and k[1] not in in_report}
    if not missing:
        return set()
    return missing & {u.id for u in enrolled_students(run.client, course_id)}


def _report_grades(connection: Connection, course_id: int, merged: Entries) -> Changes:
    """Course totals from the report's Grade column; an empty cell proves there is none (for the
    rows read: an incremental read leaves the others' grades as they are)."""
    fresh = {(course_id, u): {"course_id": course_id, "user_id": u, "grade": row.grade, "grademax": None,
                              "graded_at": None} for u, row in merged if row.grade is not None}
    ungraded = [(course_id, u) for u, row in merged if row.grade is None]
    return mirror.refresh(connection, mirror_grades, fresh, "reset", scope={"course_id": course_id},
                          gone_candidates=ungraded)


def _whole_despite_filter(run: Run, report_id: int, rows: int) -> None:
    """A read through a date filter that gave (nearly) as many rows as the last whole read: most
    likely the filter is not on the report (Moodle then ignores its value). The rows are right, only
    the read was not cheaper; a mass change (an import touching everyone) looks the same, so it is
    said, not failed."""
    with run.connection() as connection:
        whole = mirror.get_state(connection, "report", str(report_id)) or 0
    if rows > 1000 and rows >= 0.9 * whole:
        run.summary.oddities[N_("reads through a report filter that gave (nearly) the whole report: "
                                "check the report's filters (README)")] += 1
        log.warning("sync.filter_not_applied", report=report_id, rows=rows, whole=whole)


def filters_usable(run: Run) -> bool:
    """Whether this run reads the reports through their filters (sync.report_filters, and the
    service has both filter functions)."""
    return run.settings.sync.report_filters and {report_pages.SET_FILTERS, report_pages.RESET_FILTERS} <= run.functions


def _remember(report_id: int, complete: bool, total: int | None, last: dict[str, int] | None, now: int,
              connection: Connection, _data: None) -> dict[str, Changes]:
    """A report read and applied: the next incremental read starts from ``now`` (Moodle's clock at
    this run's start); a full read also restarts the wait for the next full one."""
    full = now if complete or last is None else last["full"]
    mirror.set_state(connection, "report_read", str(report_id), {"full": full, "since": now})
    if total is not None:  # its size, to size the next run's pages
        mirror.set_state(connection, "report", str(report_id), total)
    return {}


def _completion(course_id: int, user_id: int, row: ParticipationRow, exact: dict[int, int | None],
                before: Row | None) -> dict[str, Any]:
    """A completion from a report row: to the second when Moodle said or the mirror already knows
    a time inside the minute shown; else the minute's first second."""
    moment = row.time_completed
    assert moment is not None  # parse_row: a completed row has its time
    known = exact.get(user_id)
    if known is not None:
        time, precision = known, "second"
    elif (before and before["precision"] == "second" and before["time_completed"] is not None
          and moment.first <= before["time_completed"] <= moment.last):
        time, precision = before["time_completed"], "second"  # the exact time we already know
    else:
        time, precision = moment.first, "minute"
    road = before["road"] if before and precision == "second" and user_id not in exact else "report"
    return {"course_id": course_id, "user_id": user_id, "time_completed": time, "precision": precision,
            "road": road}
