"""The sync: mirror Moodle into the store, entity by entity, partition by partition.

Each partition reads Moodle first (outside any transaction), then writes its rows, its bookmark
and the run's counts in ONE transaction. A run killed at any instant leaves whole partitions
only; the next start resumes the unfinished run and skips the partitions it bookmarked.

"Gone" is never inferred from an error: a row is marked gone only when a complete read proves
it (a full list that no longer has it, Moodle answering "not completed", a user lookup that
returns nothing). ``usernotenroled`` for a suspended or expired enrolment means "unknown, keep
the last known value".
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, func, select

from ..config import Settings
from ..i18n import N_
from ..moodle import AccessDenied, Call, MissingCapability, MoodleClient, MoodleError, NotFound, UserNotEnrolled
from ..moodle.models import CourseCompletionStatus, EnrolledUser
from ..store import mirror
from ..store.schema import (
    mirror_activity_completions,
    mirror_categories,
    mirror_cohort_members,
    mirror_cohorts,
    mirror_completions,
    mirror_courses,
    mirror_enrolments,
    mirror_grades,
    mirror_users,
)
from . import report as report_rows
from .diff import Changes, diff
from .progress import Progress
from .rows import category_row, cohort_row, course_row, grade_row, has_markup, looks_deleted, user_row

log = structlog.get_logger("moodle_bridge.sync")

ENTITIES = ("categories", "courses", "cohorts", "enrolments", "users", "completions", "grades",
            "activity_completions")
STUDENT = "student"
# Answers that leave a learner's state unknown (keep the last known): an enrolment no longer
# active (suspended, expired) or a user deleted while the run reads.
UNKNOWN = (UserNotEnrolled, NotFound)
# Unreadable report rows left out, named, and the rest applied: up to this many, or 1% of the rows.
REJECTED_ROWS_TOLERATED = 10


class StopRequested(BaseException):
    """Asked to stop (SIGTERM): raised between partitions; the run stays resumable."""


class ReportUnstable(Exception):
    """The report kept changing while being paged: nothing was applied."""


@dataclass
class SyncOptions:
    full: bool = False
    only: frozenset[str] | None = None  # None: every entity
    dry_run: bool = False

    def wants(self, entity: str) -> bool:
        return self.only is None or entity in self.only


@dataclass
class RunSummary:
    run_id: int | None
    kind: str
    road: str = ""
    resumed: bool = False
    dry_run: bool = False
    counts: dict[str, Counter] = field(default_factory=dict)
    oddities: Counter = field(default_factory=Counter)
    rejected: list[str] = field(default_factory=list)  # rows not applied, each named (course, user, why)
    unseen: Counter = field(default_factory=Counter)  # what the road cannot read, by kind
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, entity: str, changes: Changes) -> None:
        self.counts.setdefault(entity, Counter()).update(changes.counts())


class Sync:
    def __init__(self, settings: Settings, client: MoodleClient, engine: Engine,
                 progress: Progress | None = None,
                 before_commit: Callable[[str, str], None] | None = None,
                 should_stop: Callable[[], bool] = lambda: False) -> None:
        self.settings = settings
        self.s = settings.sync
        self.client = client
        self.engine = engine
        self.progress = progress or Progress()
        self._before_commit = before_commit  # test hook: runs inside each partition's transaction
        self._should_stop = should_stop
        self.done: set[tuple[str, str]] = set()
        self.failed: set[str] = set()
        self._dry: Connection | None = None

    # --- the run ---------------------------------------------------------------------------------

    def run(self, options: SyncOptions | None = None) -> RunSummary:
        options = options or SyncOptions()
        self.options = options
        started, requests_before = datetime.now(UTC), self.client.requests_sent
        kind = "full" if options.full else "incremental"
        self.summary = RunSummary(None, kind, dry_run=options.dry_run)
        if not options.dry_run:
            with self.engine.begin() as connection:
                previous = mirror.running_run(connection)
                if previous is not None:
                    self.summary.run_id, self.summary.kind, self.summary.resumed = previous["id"], previous["kind"], True
                    options.full = options.full or previous["kind"] == "full"  # what it set out to do
                    self.done = mirror.done_partitions(connection, previous["id"])
                    log.info("sync.resuming", run_id=previous["id"], partitions_done=len(self.done))
                else:
                    self.summary.run_id = mirror.start_run(connection, kind)
        if options.dry_run:
            self._dry_owner = self.engine.connect()
            self._dry = self._dry_owner
            self._dry_transaction = self._dry.begin()
        ended = False  # False after a crash or an interrupt: the run stays "running", to be resumed
        try:
            self._steps(options)
            ended = True
        except (MoodleError, report_rows.ReportLayoutError) as exc:
            # Moodle down, the token refused, the road misconfigured: a failed run, said in one
            # line by the caller; never a traceback.
            self.summary.errors.append(str(exc))
            log.info("sync.failed", error=str(exc))
            ended = True
        except Exception as exc:
            self.summary.errors.append(f"{type(exc).__name__}: {exc}")
            ended = True
            raise
        finally:
            if options.dry_run:
                self._dry_transaction.rollback()
                self._dry_owner.close()
                self._dry = None
            self.summary.requests = self.client.requests_sent - requests_before
            self.summary.seconds = (datetime.now(UTC) - started).total_seconds()
            if ended and not options.dry_run:
                with self.engine.begin() as connection:
                    mirror.finish_run(connection, self.summary.run_id, "succeeded" if self.summary.ok else "failed",
                                      "; ".join(self.summary.errors)[:4000] or None)
            self.progress.close()
        return self.summary

    def _steps(self, options: SyncOptions) -> None:
        site = self.client.call("core_webservice_get_site_info")
        self.road = self._choose_road(site.function_names)
        self.grades_from_report = False  # grades are taken from the report in this run
        self.report_has_grade = False  # the completions report has a Grade column (known once read)
        self.rejected_idnumbers: set[str] = set()  # users of report rows that could not be read
        self.summary.road = self.road
        for entity, step in (("categories", self.sync_categories), ("courses", self.sync_courses),
                             ("cohorts", self.sync_cohorts)):
            if options.wants(entity):
                self._guard(entity, step)
        if self.road == "report":
            self._report_road(options)
        else:
            self._api_road(options)
        if options.wants("grades") and self.settings.features.grades and not self.grades_from_report:
            self._guard("grades", self.sync_grades)
        if options.wants("activity_completions") and self.settings.features.activity_completions:
            self._guard("activity_completions", self.sync_activity_completions)
        self._count_unseen(options)

    def _count_unseen(self, options: SyncOptions) -> None:
        """What this road cannot read, said with a number: Moodle's completion status and grade
        report answer only for active enrolments (completion/classes/external.php checks
        is_enrolled(..., onlyactive=true)); only the completions report shows the others.
        Counted for what this run set out to read, in courses the mirror holds."""
        blind_completions = self.road != "report" and options.wants("completions")
        blind_grades = (self.settings.features.grades and options.wants("grades")
                        and not (self.road == "report" and self.report_has_grade))
        if not (blind_completions or blind_grades):
            return
        with self._connection() as connection:
            inactive = (select(func.count()).select_from(mirror_enrolments.join(
                mirror_courses, mirror_courses.c.id == mirror_enrolments.c.course_id)).where(
                mirror_enrolments.c.status == "inactive", mirror_enrolments.c.gone_at.is_(None),
                mirror_courses.c.gone_at.is_(None)))
            if blind_completions:
                self.summary.unseen["completions"] = connection.execute(
                    inactive.where(mirror_courses.c.completion_enabled.is_(True))).scalar() or 0
            if blind_grades:
                self.summary.unseen["grades"] = connection.execute(inactive).scalar() or 0

    def _guard(self, entity: str, step: Callable[[], None]) -> None:
        """Run one entity's step; a Moodle failure fails the entity (and the run), not the process."""
        try:
            step()
        except (MoodleError, ReportUnstable, report_rows.ReportLayoutError) as exc:
            self.failed.add(entity)
            self.summary.errors.append(f"{entity}: {exc}")
            log.error("sync.entity_failed", entity=entity, error=str(exc))
        finally:
            self.progress.finish(entity, dict(self.summary.counts.get(entity, {})))

    # --- one partition: read, then rows + bookmark + counts in one transaction ---------------------

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """A connection for reads; in a dry run, the run's one transaction (rolled back at the end),
        so later steps see what earlier steps would have written."""
        if self._dry is not None:
            yield self._dry
        else:
            with self.engine.connect() as connection:
                yield connection

    def _partition(self, entity: str, key: str, fetch: Callable[[], Any],
                   apply: Callable[[Connection, Any], dict[str, Changes]]) -> None:
        self._partitions(entity, [(key, fetch, apply)])

    def _partitions(self, entity: str, work: list[tuple[str, Callable[[], Any], Callable]]) -> None:
        """Fetch partitions from Moodle on the bounded pool, a few ahead; apply them in order here.

        Reads overlap (Moodle serves several requests at once); writes stay on this thread, one
        transaction per partition, in a fixed order.
        """
        pending = [(key, fetch, apply) for key, fetch, apply in work if (entity, key) not in self.done]
        self.progress.advance(entity, len(work) - len(pending))
        if not pending:
            return
        if self._dry is not None:
            for key, fetch, apply in pending:
                self._commit_partition(entity, key, fetch(), apply)
            return
        ahead = max(1, self.settings.moodle.concurrency)
        with ThreadPoolExecutor(max_workers=ahead, thread_name_prefix=f"sync-{entity}") as pool:
            futures = {}
            for index, (key, fetch, apply) in enumerate(pending):
                for later in pending[index: index + ahead * 2]:  # keep the pool busy, memory bounded
                    if later[0] not in futures:
                        futures[later[0]] = pool.submit(later[1])
                self._commit_partition(entity, key, futures.pop(key).result(), apply)

    def _commit_partition(self, entity: str, key: str, data: Any,
                          apply: Callable[[Connection, Any], dict[str, Changes]]) -> None:
        if self._should_stop():
            raise StopRequested(f"stopped before {entity} {key}")
        if self._dry is not None:
            results = apply(self._dry, data)
        else:
            with self.engine.connect() as connection:
                transaction = connection.begin()
                try:
                    results = apply(connection, data)
                    mirror.mark_done(connection, self.summary.run_id, entity, key)
                    for name, changes in results.items():
                        mirror.add_counts(connection, self.summary.run_id, name, changes.counts())
                    if self._before_commit:
                        self._before_commit(entity, key)
                    transaction.commit()
                except BaseException:
                    if transaction.is_active:
                        transaction.rollback()
                    raise
        for name, changes in results.items():
            self.summary.add(name, changes)
        self.done.add((entity, key))
        self.progress.advance(entity)

    def _write(self, connection: Connection, table, fresh: dict, reason: str, scope: dict | None = None,
               gone_candidates=None) -> Changes:
        existing = mirror.load(connection, table, **(scope or {}))
        changes = diff(existing, fresh, gone_candidates)
        mirror.apply(connection, table, changes, reason)
        return changes

    # --- small sets: full refresh, gone when absent ------------------------------------------------

    def sync_categories(self) -> None:
        self.progress.start("categories", 1)

        def apply(connection, categories):
            fresh = {c.id: category_row(c) for c in categories}
            return {"categories": self._write(connection, mirror_categories, fresh, "deleted")}

        self._partition("categories", "all", lambda: self.client.call("core_course_get_categories"), apply)

    def sync_courses(self) -> None:
        self.progress.start("courses", 1)

        def apply(connection, courses):
            real = [c for c in courses if not c.is_site]
            self.summary.oddities[N_("courses without completion tracking")] += sum(1 for c in real if not c.enablecompletion)
            self.summary.oddities[N_("courses with HTML in the name")] += sum(1 for c in real if has_markup(c.fullname))
            self.summary.oddities[N_("courses without class hours")] += sum(
                1 for c in real if course_row(c, self.s.hours_field, self.s.training_type_field)["hours"] is None)
            fresh = {c.id: course_row(c, self.s.hours_field, self.s.training_type_field) for c in real}
            return {"courses": self._write(connection, mirror_courses, fresh, "deleted")}

        self._partition("courses", "all", lambda: self.client.call("core_course_get_courses"), apply)

    def sync_cohorts(self) -> None:
        self.progress.start("cohorts", 1)

        def fetch():
            cohorts = self.client.call("core_cohort_get_cohorts")
            ids = [c.id for c in cohorts]
            calls = [Call("core_cohort_get_cohort_members", {"cohortids": ids[i:i + 100]})
                     for i in range(0, len(ids), 100)]
            members = []
            for answer in self.client.call_many(calls):
                if isinstance(answer, MoodleError):
                    raise answer
                members.extend(answer)
            return cohorts, members

        def apply(connection, data):
            cohorts, members = data
            fresh = {c.id: cohort_row(c) for c in cohorts}
            links = {(m.cohortid, u): {"cohort_id": m.cohortid, "user_id": u} for m in members for u in m.userids}
            return {"cohorts": self._write(connection, mirror_cohorts, fresh, "deleted"),
                    "cohort_members": self._write(connection, mirror_cohort_members, links, "left")}

        self._partition("cohorts", "all", fetch, apply)

    # --- which road completions take -------------------------------------------------------------

    def _choose_road(self, functions: frozenset[str]) -> str:
        wanted = self.s.completion_road
        report_ok = (self.settings.moodle.completions_report_id is not None
                     and "core_reportbuilder_retrieve_report" in functions)
        batch_ok = "tool_mobile_call_external_functions" in functions and self.settings.moodle.batch_size > 0
        self.batch_ok = batch_ok and wanted != "per_enrolment"
        if wanted == "auto":
            return "report" if report_ok else "batch" if batch_ok else "per_enrolment"
        if wanted == "report" and not report_ok:
            raise MoodleError("completion_road = \"report\" needs moodle.completions_report_id and "
                              "core_reportbuilder_retrieve_report in the service")
        if wanted == "batch" and not batch_ok:
            raise MoodleError("completion_road = \"batch\" needs tool_mobile_call_external_functions in the service")
        return wanted

    def _courses(self) -> list[dict]:
        with self._connection() as connection:
            rows = connection.execute(select(mirror_courses).where(mirror_courses.c.gone_at.is_(None))
                                      .order_by(mirror_courses.c.id))
            return [dict(r._mapping) for r in rows]

    # --- road 1: the completions report ------------------------------------------------------------

    def _report_road(self, options: SyncOptions) -> None:
        needs_report = any(options.wants(e) for e in ("enrolments", "completions", "users", "grades"))
        staged: list[report_rows.ParticipationRow] | None = None
        if needs_report:
            try:
                staged = self._read_report()
            except (MoodleError, ReportUnstable, report_rows.ReportLayoutError) as exc:
                for entity in ("enrolments", "completions", "users", "grades"):
                    self.failed.add(entity)
                self.summary.errors.append(self._report_failure(exc))
                log.error("sync.report_failed", error=str(exc))
                return
        if options.wants("users"):
            # Users of unreadable rows are looked up too: left out of the report is not "left".
            idnumbers = sorted({r.user_idnumber for r in staged or [] if r.user_idnumber} | self.rejected_idnumbers)
            self._guard("users", lambda: self.sync_users(idnumbers=idnumbers))
        if options.wants("enrolments") or options.wants("completions") or self.grades_from_report:
            self._guard("completions", lambda: self._apply_participation(staged or []))

    def _report_failure(self, exc: Exception) -> str:
        """What went wrong with the completions report, and what to check, in one line."""
        report_id = self.settings.moodle.completions_report_id
        if isinstance(exc, NotFound):
            return (f"completions report {report_id}: Moodle has no report with this id "
                    "(check moodle.completions_report_id against the report's address)")
        if isinstance(exc, MissingCapability | AccessDenied):
            return (f"completions report {report_id}: the integration user may not view it (give the report "
                    f"an audience with the integration user's role; Moodle said: {exc})")
        return f"completions report {report_id}: {exc}"

    def _read_report(self) -> list[report_rows.ParticipationRow]:
        """Every page, staged; re-read from the start when the row count moves while paging.

        Moodle re-runs the whole report (count and sort) for every page, so pages are made big
        enough for at most ``report_max_pages`` of them: a province's 800,000 rows in 10 pages
        cost a tenth of 160 pages of 5,000.
        """
        report_id = self.settings.moodle.completions_report_id
        with self._connection() as connection:
            last_total = mirror.get_state(connection, "report", str(report_id)) or 0
        size = self._page_size(last_total)
        for attempt in range(1, self.s.report_attempts + 1):
            first = self.client.call("core_reportbuilder_retrieve_report", reportid=report_id, page=0, perpage=size)
            where = report_rows.layout(first.data.headers)
            # The course total in the report: no per-course grade report reads at all.
            self.report_has_grade = where.has("grade")
            self.grades_from_report = (self.report_has_grade and self.settings.features.grades
                                       and self.options.wants("grades"))
            total = first.data.totalrowcount
            if self._page_size(total) > size:  # bigger than last time: fewer, bigger pages
                size = self._page_size(total)
                first = self.client.call("core_reportbuilder_retrieve_report", reportid=report_id, page=0,
                                         perpage=size)
                total = first.data.totalrowcount
            pages, stable = [first], True
            later = self.client.call_many([Call("core_reportbuilder_retrieve_report",
                                                {"reportid": report_id, "page": p, "perpage": size})
                                           for p in range(1, -(-total // size))])
            for answer in later:
                if isinstance(answer, MoodleError):
                    raise answer
                if answer.data.totalrowcount != total or answer.data.headers != first.data.headers:
                    stable = False
                pages.append(answer)
            rows = [row.columns for page in pages for row in page.data.rows]
            if stable and len(rows) == total:
                self._report_total = (report_id, total)
                return self._parse_report(rows, where)
            log.warning("sync.report_moved", attempt=attempt, total=total, read=len(rows))
        raise ReportUnstable(f"report {report_id} changed while being read, {self.s.report_attempts} times; "
                             "nothing was applied (try again later)")

    def _page_size(self, total: int) -> int:
        wanted = -(-total // self.s.report_max_pages)
        return max(self.s.report_page_size, -(-wanted // 1000) * 1000)

    def _parse_report(self, rows, where) -> list[report_rows.ParticipationRow]:
        """Every row that reads; one that does not is named in the summary and left out (its
        enrolment and completion keep their last known values), never failing the others."""
        parsed, failures = [], []
        for index, columns in enumerate(rows):
            try:
                parsed.append(report_rows.parse_row(columns, where, self.s.report_timezone))
            except ValueError as exc:
                failures.append(f"report row {index + 1} ({report_rows.describe(columns, where)}): {exc}")
                user = report_rows.raw_cell(columns, where, "user_idnumber")
                if user:
                    self.rejected_idnumbers.add(user)
        if len(failures) > max(REJECTED_ROWS_TOLERATED, len(rows) // 100):
            # Not odd rows but a format the sync does not read (a language, a Moodle upgrade):
            # applying the rest would present a stale mirror as fresh.
            raise report_rows.ReportLayoutError(
                f"{len(failures)} of {len(rows)} report rows could not be read, e.g. {failures[0]}; "
                "nothing from the report was applied")
        for failure in failures:
            self.summary.oddities[N_("report rows that could not be read (kept as last known)")] += 1
            self._reject(failure)
        return parsed

    def _reject(self, what: str) -> None:
        self.summary.rejected.append(what)
        log.warning("sync.row_rejected", row=what)

    def _apply_participation(self, staged: list[report_rows.ParticipationRow]) -> None:
        courses = {c["idnumber"]: c for c in self._courses() if c["idnumber"]}
        with self._connection() as connection:
            users = {}
            duplicates = set()
            for r in connection.execute(select(mirror_users.c.id, mirror_users.c.idnumber)
                                        .where(mirror_users.c.gone_at.is_(None), mirror_users.c.idnumber.is_not(None))):
                if r.idnumber in users:
                    duplicates.add(r.idnumber)
                users[r.idnumber] = r.id
        by_course: dict[int, list[tuple[int, report_rows.ParticipationRow]]] = {c["id"]: [] for c in courses.values()}
        for row in staged:
            if not row.user_idnumber:
                self.summary.oddities[N_("report rows without a user ID number")] += 1
            elif row.course_idnumber not in courses:
                self.summary.oddities[N_("report rows of unknown courses")] += 1
            elif row.user_idnumber in duplicates:
                self.summary.oddities[N_("report rows with a user ID number two users share")] += 1
            elif row.user_idnumber not in users:
                self.summary.oddities[N_("report rows of unknown users")] += 1
            else:
                by_course[courses[row.course_idnumber]["id"]].append((users[row.user_idnumber], row))
        needs_status = not staged or staged[0].status is None
        boundaries = self._boundaries()
        self._check_report_times(by_course)
        # A grades-only run (--only grades) bookmarks apart, so a later full run's resume redoes
        # the courses' enrolments and completions.
        entity = "completions" if self.options.wants("enrolments") or self.options.wants("completions") else "grades"
        self.progress.start(entity, len(by_course))
        self._partitions(entity, [
            (f"course:{course_id}" if entity == "completions" else f"report:course:{course_id}",
             lambda cid=course_id, e=entries: self._participation_fetch(cid, e, needs_status, boundaries),
             lambda connection, data, cid=course_id: self._participation_apply(connection, cid, data))
            for course_id, entries in sorted(by_course.items())])

    def _check_report_times(self, by_course: dict[int, list]) -> None:
        """A few report times against Moodle's exact ones: a wrong report_timezone would shift
        every completion by hours, and across a period boundary into the wrong year."""
        sample = [(cid, uid, row) for cid, entries in sorted(by_course.items()) for uid, row in entries
                  if row.completed and row.time_completed and row.status != "inactive"][:3]
        if not sample:
            return
        answers = self.client.call_many([Call("core_completion_get_course_completion_status",
                                              {"courseid": cid, "userid": uid}) for cid, uid, _ in sample])
        checked = [(row.time_completed, a.completionstatus.time_completed) for (_, _, row), a in zip(sample, answers, strict=False)
                   if isinstance(a, CourseCompletionStatus) and a.completionstatus.time_completed]
        if checked and not any(shown.first <= exact <= shown.last for shown, exact in checked):
            shown, exact = checked[0]
            raise report_rows.ReportLayoutError(
                f"report dates are {round((shown.first - exact) / 3600, 1)} h off Moodle's exact times: "
                f"sync.report_timezone ({self.s.report_timezone}) is probably not the integration user's time zone")

    def _participation_fetch(self, course_id, entries, needs_status, boundaries):
        """Moodle reads a course's report rows still need: who is inactive, exact boundary times,
        and whether learners missing from the report are really unenrolled."""
        inactive: set[int] = set()
        if needs_status:
            inactive = {u.id for u in self._enrolled(course_id, "onlysuspended")}
        still_enrolled = self._confirm_missing(course_id, {u for u, _ in entries})
        exact: dict[int, int | None] = {}
        ambiguous = [(u, r) for u, r in entries if r.completed and report_rows.straddles(r.time_completed, boundaries)]
        if ambiguous:
            active = [(u, r) for u, r in ambiguous if (r.status or ("inactive" if u in inactive else "active")) == "active"]
            answers = self._completion_calls(course_id, [u for u, _ in active])
            for (user_id, _), answer in zip(active, answers, strict=False):
                if isinstance(answer, CourseCompletionStatus):
                    exact[user_id] = answer.completionstatus.time_completed
        return entries, inactive, exact, len(ambiguous) - len(exact), still_enrolled

    def _confirm_missing(self, course_id: int, in_report: set[int]) -> set[int]:
        """Learners the mirror has in this course that the report lacks, and Moodle still enrolls.

        A report read is not atomic: rows can shift between pages with the count unchanged, and a
        row whose user ID number is blank or shared cannot be placed. So absence from the report
        is checked with one participants call before anyone is marked unenrolled.
        """
        with self._connection() as connection:
            missing = {k[1] for k, row in mirror.load(connection, mirror_enrolments, course_id=course_id).items()
                       if row["gone_at"] is None and k[1] not in in_report}
        if not missing:
            return set()
        options = [{"name": "userfields", "value": "id,roles"}]
        enrolled = self.client.call("core_enrol_get_enrolled_users", courseid=course_id, options=options)
        return missing & {u.id for u in enrolled if any(r.shortname == STUDENT for r in u.roles)}

    def _participation_apply(self, connection, course_id, data) -> dict[str, Changes]:
        entries, inactive, exact, unrefined, still_enrolled = data
        if getattr(self, "_report_total", None):
            mirror.set_state(connection, "report", str(self._report_total[0]), self._report_total[1])
        self.summary.oddities[N_("completion times left to the minute at a period boundary")] += unrefined
        self.summary.oddities[N_("enrolments Moodle has that the report did not show (kept)")] += len(still_enrolled)
        merged = merge_rows(entries)
        if not (self.options.wants("enrolments") or self.options.wants("completions")):  # --only grades
            return {"grades": self._report_grades(connection, course_id, merged)}
        enrolments, completions, resets = {}, {}, []
        existing_completions = mirror.load(connection, mirror_completions, course_id=course_id)
        for user_id, row in merged:
            status = row.status or ("inactive" if user_id in inactive else "active")
            enrolments[(course_id, user_id)] = {"course_id": course_id, "user_id": user_id, "status": status,
                                                "timestart": row.timestart, "timeend": row.timeend}
            key = (course_id, user_id)
            if row.completed:
                completions[key] = self._report_completion(course_id, user_id, row, exact,
                                                           existing_completions.get(key))
            else:
                resets.append(key)
        existing = mirror.load(connection, mirror_enrolments, course_id=course_id)
        proven_gone = [k for k in existing if k not in enrolments and k[1] not in still_enrolled]
        enrolment_changes = diff(existing, enrolments, gone_candidates=proven_gone)
        mirror.apply(connection, mirror_enrolments, enrolment_changes, "unenrolled")
        changes = {"enrolments": enrolment_changes}
        completion_changes = diff(existing_completions, completions, gone_candidates=resets)
        mirror.apply(connection, mirror_completions, completion_changes, "reset")
        unenrolled = _unenrolled(connection, existing_completions, changes["enrolments"].gone)
        completion_changes.gone += unenrolled.gone
        changes["completions"] = completion_changes
        if self.grades_from_report:
            changes["grades"] = self._report_grades(connection, course_id, merged)
        else:
            self._grades_due(connection, course_id, changes)
        return changes

    def _report_grades(self, connection, course_id, merged) -> Changes:
        """Course totals from the report's Grade column; an empty cell proves there is none."""
        fresh = {(course_id, u): {"course_id": course_id, "user_id": u, "grade": row.grade, "grademax": None,
                                  "graded_at": None} for u, row in merged if row.grade is not None}
        ungraded = [(course_id, u) for u, row in merged if row.grade is None]
        return self._write(connection, mirror_grades, fresh, "reset", scope={"course_id": course_id},
                           gone_candidates=ungraded)

    def _report_completion(self, course_id, user_id, row, exact, before) -> dict:
        moment = row.time_completed
        if user_id in exact and exact[user_id] is not None:
            time, precision = exact[user_id], "second"
        elif (before and before["precision"] == "second" and before["time_completed"] is not None
              and moment.first <= before["time_completed"] <= moment.last):
            time, precision = before["time_completed"], "second"  # the exact time we already know
        else:
            time, precision = moment.first, "minute"
        road = before["road"] if before and precision == "second" and user_id not in exact else "report"
        return {"course_id": course_id, "user_id": user_id, "time_completed": time, "precision": precision,
                "road": road}

    def _boundaries(self) -> list[int]:
        year = datetime.now(UTC).year
        return report_rows.period_starts(year - 6, year + 1, self.s.organisation_timezone, self.s.period_start)

    # --- roads 2 and 3: per-enrolment completion calls, batched or not ---------------------------

    def _api_road(self, options: SyncOptions) -> None:
        if options.wants("enrolments"):
            self._guard("enrolments", self.sync_enrolments)
        if options.wants("users"):
            self._guard("users", lambda: self.sync_users(idnumbers=[]))
        if options.wants("completions"):
            self._guard("completions", self.sync_completions)

    def _enrolled(self, course_id: int, option: str) -> list[EnrolledUser]:
        options = [{"name": "userfields", "value": "id,roles"}, {"name": option, "value": 1}]
        users = self.client.call("core_enrol_get_enrolled_users", courseid=course_id, options=options)
        return [u for u in users if any(r.shortname == STUDENT for r in u.roles)]

    def sync_enrolments(self) -> None:
        courses = self._courses()
        self.progress.start("enrolments", len(courses))
        work = []
        for course in courses:
            cid = course["id"]

            def fetch(cid=cid):
                answers = self.client.call_many([
                    Call("core_enrol_get_enrolled_users", {"courseid": cid, "options": [
                        {"name": "userfields", "value": "id,roles"}, {"name": which, "value": 1}]})
                    for which in ("onlyactive", "onlysuspended")])
                for answer in answers:
                    if isinstance(answer, MoodleError):
                        raise answer
                return [[u for u in a if any(r.shortname == STUDENT for r in u.roles)] for a in answers]

            def apply(connection, data, cid=cid):
                active, inactive = data
                fresh = {(cid, u.id): {"course_id": cid, "user_id": u.id, "status": status,
                                       "timestart": None, "timeend": None}
                         for status, group in (("inactive", inactive), ("active", active)) for u in group}
                changes = {"enrolments": self._write(connection, mirror_enrolments, fresh, "unenrolled",
                                                     scope={"course_id": cid})}
                existing = mirror.load(connection, mirror_completions, course_id=cid)
                changes["completions"] = _unenrolled(connection, existing, changes["enrolments"].gone)
                self._grades_due(connection, cid, changes)
                return changes

            work.append((f"course:{cid}", fetch, apply))
        self._partitions("enrolments", work)

    def _active_learners(self) -> dict[int, list[int]]:
        """Active student enrolments by course, for courses with completion tracking."""
        courses = [c for c in self._courses() if c["completion_enabled"]]
        learners: dict[int, list[int]] = {c["id"]: [] for c in courses}
        with self._connection() as connection:  # read here: fetches run on other threads
            for r in connection.execute(select(mirror_enrolments.c.course_id, mirror_enrolments.c.user_id).where(
                    mirror_enrolments.c.status == "active", mirror_enrolments.c.gone_at.is_(None))
                    .order_by(mirror_enrolments.c.course_id, mirror_enrolments.c.user_id)):
                if r.course_id in learners:
                    learners[r.course_id].append(r.user_id)
        return learners

    def _completion_calls(self, course_id: int, user_ids: list[int],
                          function: str = "core_completion_get_course_completion_status") -> list[Any]:
        calls = [Call(function, {"courseid": course_id, "userid": u}) for u in user_ids]
        if self.batch_ok:
            return self.client.call_batched(calls)
        return self.client.call_many(calls)

    def sync_completions(self) -> None:
        learners = self._active_learners()
        self.progress.start("completions", len(learners))
        self._partitions("completions", [
            (f"course:{cid}",
             lambda cid=cid, who=who: (who, self._completion_calls(cid, who)),
             lambda connection, data, cid=cid: self._completions_apply(connection, cid, data))
            for cid, who in learners.items()])

    def _completions_apply(self, connection, course_id, data) -> dict[str, Changes]:
        learners, answers = data
        fresh, resets = {}, []
        for user_id, answer in zip(learners, answers, strict=False):
            if isinstance(answer, UNKNOWN):
                self.summary.oddities[N_("completions unknown (enrolment no longer active)")] += 1
            elif isinstance(answer, MoodleError):
                raise answer
            elif answer.completionstatus.completed:
                fresh[(course_id, user_id)] = {"course_id": course_id, "user_id": user_id,
                                               "time_completed": answer.completionstatus.time_completed,
                                               "precision": "second", "road": self.road}
            else:
                resets.append((course_id, user_id))
        existing = mirror.load(connection, mirror_completions, course_id=course_id)
        changes = diff(existing, fresh, gone_candidates=resets)
        mirror.apply(connection, mirror_completions, changes, "reset")
        result = {"completions": changes}
        self._grades_due(connection, course_id, result)
        return result

    # --- activity completions (optional: the rules need course completion only) -----------------

    def sync_activity_completions(self) -> None:
        learners = self._active_learners()
        self.progress.start("activity_completions", len(learners))
        function = "core_completion_get_activities_completion_status"
        self._partitions("activity_completions", [
            (f"course:{cid}", lambda cid=cid, who=who: (who, self._completion_calls(cid, who, function)),
             lambda connection, data, cid=cid: self._activities_apply(connection, cid, data))
            for cid, who in learners.items()])

    def _activities_apply(self, connection, course_id, data) -> dict[str, Changes]:
        learners, answers = data
        fresh, resets = {}, []
        for user_id, answer in zip(learners, answers, strict=False):
            if isinstance(answer, UNKNOWN):
                continue  # keep the last known
            if isinstance(answer, MoodleError):
                raise answer
            for status in answer.statuses:
                key = (course_id, user_id, status.cmid)
                if status.state > 0:
                    fresh[key] = {"course_id": course_id, "user_id": user_id, "cmid": status.cmid,
                                  "modname": status.modname, "state": status.state,
                                  "time_completed": status.timecompleted or None}
                else:
                    resets.append(key)
        existing = mirror.load(connection, mirror_activity_completions, course_id=course_id)
        changes = diff(existing, fresh, gone_candidates=resets)
        mirror.apply(connection, mirror_activity_completions, changes, "reset")
        return {"activity_completions": changes}

    # --- cadres ------------------------------------------------------------------------------------

    def sync_users(self, idnumbers: list[str]) -> None:
        """Everyone in a unit cohort or enrolled as a student; looked up in chunks; then leavers."""
        chunk = self.s.user_chunk
        id_chunks = [idnumbers[i:i + chunk] for i in range(0, len(idnumbers), chunk)]
        with self._connection() as connection:
            scope_ids = {r.user_id for r in connection.execute(
                select(mirror_cohort_members.c.user_id).where(mirror_cohort_members.c.gone_at.is_(None)))}
            if self.road != "report":
                scope_ids |= {r.user_id for r in connection.execute(
                    select(mirror_enrolments.c.user_id).where(mirror_enrolments.c.gone_at.is_(None)))}
        total = len(id_chunks) + -(-len(scope_ids) // chunk) + 1
        self.progress.start("users", total)
        self._partitions("users", [
            (_chunk_key("idnumber", values),
             lambda v=values: self._lookup("idnumber", v),
             lambda connection, users, v=values: self._users_apply(connection, users, "idnumber", v))
            for values in id_chunks])
        wanted = set(idnumbers)
        with self._connection() as connection:  # who the idnumber lookups found
            found = {r.id for r in connection.execute(select(mirror_users.c.id, mirror_users.c.idnumber).where(
                mirror_users.c.gone_at.is_(None))) if r.idnumber in wanted}
        by_id = sorted(scope_ids - found)
        self._partitions("users", [
            (_chunk_key("id", values),
             lambda v=values: self._lookup("id", v),
             lambda connection, users, v=values: self._users_apply(connection, users, "id", v))
            for values in (by_id[i:i + chunk] for i in range(0, len(by_id), chunk))])
        upstream = {"cohorts", "enrolments", "completions"} & self.failed
        if upstream:  # the scope is incomplete: do not call anyone a leaver
            log.warning("sync.leavers_skipped", because=sorted(upstream))
            return
        self._leavers(found | scope_ids)

    def _lookup(self, field: str, values: list) -> list:
        return self.client.call("core_user_get_users_by_field", field=field, values=values)

    def _users_apply(self, connection, users, field, values) -> dict[str, Changes]:
        # One read of the mirror's rows: the ones asked about and the ones Moodle answered.
        asked = list(values) if field == "id" else []
        existing = mirror.load_keys(connection, mirror_users, sorted({*asked, *(u.id for u in users)}))
        deleted = [u.id for u in users if looks_deleted(u, (existing.get(u.id) or {}).get("username"))]
        users = [u for u in users if u.id not in deleted]
        fresh = {u.id: user_row(u, self.s.cadre_id_field) for u in users}
        self.summary.oddities[N_("users without a cadre id")] += sum(1 for r in fresh.values() if not r["cadre_id"])
        self.summary.oddities[N_("users with HTML in the name")] += sum(
            1 for u in users if has_markup(u.firstname) or has_markup(u.lastname))
        # Not returned proves nothing: Moodle also leaves out users the caller may not see. Users
        # who really left drop out of every cohort and course: the leavers step finds them.
        gone = [u for u in deleted if u in existing]
        if field == "id":
            self.summary.oddities[N_("users Moodle did not show (kept as last known)")] += sum(
                1 for v in values if v not in fresh and v not in deleted)
        else:
            self.summary.oddities[N_("report users Moodle did not find")] += len(set(values) - {u.idnumber for u in users})
        changes = diff(existing, fresh, gone_candidates=gone)
        mirror.apply(connection, mirror_users, changes, "deleted")
        return {"users": changes}

    def _leavers(self, in_scope: set[int]) -> None:
        with self._connection() as connection:
            leaving = sorted(r.id for r in connection.execute(
                select(mirror_users.c.id).where(mirror_users.c.gone_at.is_(None))) if r.id not in in_scope)
        work = []
        for i in range(0, len(leaving), self.s.user_chunk):
            values = leaving[i:i + self.s.user_chunk]

            def apply(connection, users, v=values):
                existing = mirror.load_keys(connection, mirror_users, v)
                # Moodle still returns a deleted user by id, rewritten (see looks_deleted).
                still = {u.id for u in users if not looks_deleted(u, (existing.get(u.id) or {}).get("username"))}
                left = Changes(gone=[u for u in v if u in still and existing[u]["gone_at"] is None])
                deleted = Changes(gone=[u for u in v if u not in still and existing[u]["gone_at"] is None])
                mirror.apply(connection, mirror_users, left, "left")
                mirror.apply(connection, mirror_users, deleted, "deleted")
                return {"users": Changes(gone=left.gone + deleted.gone)}

            work.append((_chunk_key("leavers", values),
                         lambda v=values: self._lookup("id", v), apply))
        self._partitions("users", work)

    # --- grades: re-read where something changed, and at least every grades_max_age_days ---------

    def _grades_due(self, connection: Connection, course_id: int, changes: dict[str, Changes]) -> None:
        if any(not c.empty for c in changes.values()):
            mirror.set_state(connection, "grades_due", str(course_id), True)

    def sync_grades(self) -> None:
        courses = self._courses()
        now = datetime.now(UTC).timestamp()
        max_age = self.s.grades_max_age_days * 86400
        with self._connection() as connection:
            due = [c["id"] for c in courses if self.options.full
                   or mirror.get_state(connection, "grades_due", str(c["id"]))
                   or now - (mirror.get_state(connection, "grades_read", str(c["id"])) or 0) > max_age]
        self.progress.start("grades", len(due))
        work = []
        for cid in due:
            def apply(connection, report, cid=cid):
                enrolled = set(mirror.load(connection, mirror_enrolments, course_id=cid, gone_at=None))
                fresh, ungraded = {}, []
                for usergrades in report.usergrades:
                    key = (cid, usergrades.userid)
                    if key not in enrolled or usergrades.course_total is None:  # known enrolments only
                        continue
                    row = grade_row(usergrades)
                    if row is None:
                        ungraded.append(key)
                    else:
                        fresh[key] = row
                self.summary.oddities[N_("learners without a final grade yet")] += len(ungraded)
                # Listed without a grade proves there is none; a learner missing from the list
                # (suspended since) proves nothing: last known kept.
                changes = self._write(connection, mirror_grades, fresh, "reset", scope={"course_id": cid},
                                      gone_candidates=ungraded)
                mirror.set_state(connection, "grades_read", str(cid), now)
                mirror.set_state(connection, "grades_due", str(cid), False)
                return {"grades": changes}

            work.append((f"course:{cid}",
                         lambda cid=cid: self.client.call("gradereport_user_get_grade_items", courseid=cid), apply))
        self._partitions("grades", work)


def _chunk_key(kind: str, values: list) -> str:
    """A partition key for a chunk of users: short whatever the ID numbers, the same on resume."""
    digest = hashlib.sha1("\x1f".join(map(str, values)).encode()).hexdigest()[:16]
    return f"{kind}:{len(values)}:{digest}"


def merge_rows(entries: list[tuple[int, report_rows.ParticipationRow]]) -> list[tuple[int, report_rows.ParticipationRow]]:
    """One row per learner. The participants source gives a row per enrolment instance (manual,
    cohort sync, ...): active if any is, earliest start, no end if any has none, else the latest."""
    merged: dict[int, report_rows.ParticipationRow] = {}
    for user_id, row in entries:
        before = merged.get(user_id)
        if before is None:
            merged[user_id] = row
            continue
        ends = [before.timeend, row.timeend]
        starts = [t for t in (before.timestart, row.timestart) if t is not None]
        merged[user_id] = replace(
            before,
            status="active" if "active" in (before.status, row.status) else before.status or row.status,
            timestart=min(starts) if starts else None,
            timeend=None if None in ends else max(ends),
            completed=before.completed or row.completed,
            time_completed=before.time_completed or row.time_completed,
            grade=before.grade if before.grade is not None else row.grade,
        )
    return list(merged.items())


def _unenrolled(connection: Connection, completions: dict, gone_enrolments: list) -> Changes:
    """A removed enrolment takes its completion and grade out of what Moodle reports."""
    gone_set = set(gone_enrolments)
    changes = Changes(gone=[k for k, row in completions.items() if k in gone_set and row["gone_at"] is None])
    mirror.apply(connection, mirror_completions, changes, "unenrolled")
    grades = mirror.load_pairs(connection, mirror_grades, gone_enrolments)
    mirror.apply(connection, mirror_grades, Changes(gone=[k for k, r in grades.items() if r["gone_at"] is None]),
                 "unenrolled")
    for course_id in {c for c, _u in gone_set}:
        activities = mirror.load(connection, mirror_activity_completions, course_id=course_id, gone_at=None)
        mirror.apply(connection, mirror_activity_completions,
                     Changes(gone=[k for k in activities if k[:2] in gone_set]), "unenrolled")
    return changes


def summary_lines(summary: RunSummary) -> list[tuple[str, dict[str, int]]]:
    return [(entity, dict(summary.counts.get(entity, {}))) for entity in (*ENTITIES, "cohort_members")
            if entity in summary.counts]

