"""How long a real Moodle 5.1 takes to serve the sync: the simulator's latency model.

Every call the simulator answers is priced in SIMULATED seconds of Moodle service (its
``demand``); nothing sleeps unless a test asks for it (``SimulatedMoodle(time_scale=...)``). A phase
of independent calls made by ``k`` concurrent clients then takes about
``max(sum(demand) / min(k, CAPACITY), max(demand))`` (:func:`phase_seconds`), and a sync is the sum
of its phases in the order it runs them (:func:`sync_seconds`).

Two sources, kept apart (the figures themselves are listed in BENCHMARKS.md, "The latency model
against the real sites", and checked by ``tests/simulator/test_latency.py``):

- **the lab** (``tests/fixtures/moodle/measurements.md``, 2026-11-21): one call at a time, medians
  of 20 identical calls in a row with caches warm, on a 2-core / 24 GiB machine running the small
  (300 cadres) and county (5,600 cadres) sites. It gives the SHAPE of every cost: what is fixed per
  request, what grows with the items returned, what a batch saves, how many requests the server
  serves at once. The ``LAB_*`` constants are those figures, unchanged.
- **the real sites**, end to end (a county and a small site with the lab sites' very counts): the
  county's batched sync took 555 s (full) and 322 s (no change, 1,181 requests) where the lab-only
  model said 143 s and 77 s; the recommended report in one page took 24 s where it said 4.1 s.
  They give the LEVEL.

Where the lab's shape and the real level disagree, the model follows the real sites:

``SITE_FACTOR`` = 4.0: a real site spends 4 times the lab's warm median on every call. Fitted to
the county batched sync (555 / 143.3 = 3.87, 322 / 77.2 = 4.17 with the lab-only model: geometric
mean 4.02, rounded). Why one factor on every call and not something end to end:

- it is not per-request overhead: a full sync is a no-change sync plus the whole-course grade
  reads (110 requests in the simulator). Those cost 555 - 322 = 233 s real against 143 - 77 = 66 s
  lab-only (3.5 times); the no-change sync's 1,181 requests 322 s against 77 s (4.2 times). A
  fixed cost per request (2 served at once) would have to be 3 s a request in the first group and
  0.4 s in the second: the gap is proportional to the work, not to the number of requests.
- it is not the server's capacity under the sync's load (4 clients, ``CAPACITY`` 2): calls made
  one at a time show the same factor. The small site's full report (report 1, one page) took
  2.03 s in the lab and 7.8-8.0 s on the real site (3.9 times); the county's lean report in one
  page, 11 s real, against 2.6 s for the lab's per-page fit (4.2 times). ``CAPACITY`` stays the
  lab's 2 (4 clients doubled the throughput of 1, 8 only queued): nothing real contradicts it, and
  capacity alone cannot slow down a call made alone.
- the sync's own phases ARE modelled (:func:`sync_seconds`: each entity's calls, and the first
  page of a report read, wait for the step before; a phase lasts at least its longest call), but
  they account for a few percent, not a factor of 4: the batched sync keeps 4 requests in flight
  almost all the time.
- why a real site is slower than the lab's medians is not known from these figures (the lab
  repeated identical calls with caches warm, a sync never repeats one; the real figures include
  whatever else the server was doing). The factor is an observation, and one number: if a future
  real measurement of one kind of call disagrees, give that call its own constant.

So ``FIXED``, ``BATCH_REQUEST`` and every per-item cost below are the lab's times ``SITE_FACTOR``.
The lab's per-call figures still hold at lab scale: ``bench/sync_roads.py`` checks the
``LAB_*`` constants against measurements.md (within 20%) before it reports anything.

**Report builder pages** (``core_reportbuilder_retrieve_report``) are priced from the real
figures directly (real-site seconds, no factor applied). Every page re-runs the count and the sort
of the WHOLE report, then formats the rows it returns::

    page = FIXED + total_rows x (REPORT_QUERY_ROW [+ REPORT_GRADE_QUERY_ROW with a Grade column])
                 + rows_returned x (sum of the columns' cell costs)

fitted to the county (44,869 rows; one client, pages read one after another):

- ``REPORT_QUERY_ROW`` 43 µs (1.94 s a page for the county): the recommended report read in one
  page took 24 s and in nine pages of 5,000 40 s, so each of the 8 extra pages cost 2.0 s.
  (The lab's 0.52 s a re-run, measured with 45 against 9 pages of the lean report, times
  ``SITE_FACTOR``: 2.1 s.)
- ``REPORT_CELL_CHEAP`` 50 µs a row a cell: the lean report (course and user ID number,
  Completed, Time completed) in one page took 11 s: 1.94 s of query, 9.0 s for 4 cells a row.
  (The lab's 11.5 µs a cell times ``SITE_FACTOR``: 46 µs.)
- ``REPORT_CELL_ENROLMENT`` 97 µs a row, each of Status, Time started, Time ended of the
  enrolment: the recommended report (the lean columns plus these 3) in one page, 24 s: 13 s more
  than the lean one for 3 columns, more than all the other columns together.
- ``REPORT_GRADE_QUERY_ROW`` 36 µs and ``REPORT_CELL_GRADE`` 53 µs: the recommended report plus
  Grade took 28 s in one page and 57 s in nine. A Grade column adds a join the whole query pays on
  every page (8 extra pages: 29 s instead of 16 s) and a cell about as cheap as any other.
  Grade is NOT an expensive column (the small site: 1.1-1.6 s with Grade, 0.7-1.5 s without).
- ``REPORT_CELL_PROGRESS`` 2.76 ms a row (*Student progress*, completion of every activity
  computed per row): the small site's full report (16 columns: the recommended 7, Grade, Student
  progress and 7 cheap ones) took 7.8-8.0 s for 2,098 rows, of which 2.1 s the other 15 columns
  and the query. It is the one expensive column.

**Assumptions** (NOT measured: no real site was timed reading a report through filters, nor a
report on the Users source; each is a guess with its risk, and BENCHMARKS.md prices the pessimistic
case beside the assumed one):

- ``REPORT_FILTER_SCAN_SHARE`` 0.1: a page read through filter values (``core_reportbuilder_set_filters``:
  a course selector, a date range) pays the per-row query cost above for the rows the filters keep,
  and a tenth of it for every other row of the report. Moodle adds the filter to the query's WHERE
  (``base_report_table::init_sql``); the share stands for a database that finds the kept rows by
  an index (``course.id IN (...)``, ``course_completions.timecompleted``) or a cheap scan
  (``user_enrolments.timecreated``, ``user.timemodified``) before the joins, sorting and counting
  that the measured re-run cost is made of. Risk: a database that plans the filtered query like
  the whole one pays the whole re-run on every filtered page (share 1.0); then reading a report
  course group by course group costs more than reading it whole, and an incremental read costs a
  whole re-run per read.
- A profile field column (``profile:<shortname>``, the Users source's ``user:profilefield_*``) is priced
  like the measured Grade column: a LEFT JOIN on ``user_info_data`` that every page's query pays
  (``REPORT_GRADE_QUERY_ROW`` a row) and a cheap cell (``REPORT_CELL_GRADE``).
- A user date cell (*Time modified*) is priced like an enrolment date cell (``REPORT_CELL_ENROLMENT``).
- The Users source's base query costs what the Course participants source's does a row
  (``REPORT_QUERY_ROW``); it has fewer joins, so this should overstate it.
- ``core_reportbuilder_set_filters`` and ``core_reportbuilder_filters_reset`` (a user preference
  written) are priced as any other small call (``FIXED`` + ``LAB_OTHER``).

Other constants (lab scale, before ``SITE_FACTOR``), from measurements.md:

- ``LAB_FIXED`` 15.5 ms: the smallest calls (site info, one user, one course) take 15-30 ms.
- ``LAB_PER_PARTICIPANT_FULL`` 2.7 ms / ``LAB_PER_PARTICIPANT_LEAN`` 0.24 ms a participant:
  ``core_enrol_get_enrolled_users`` without / with ``userfields`` (738 users: 2.0 s / 0.19 s).
- ``LAB_PER_LEARNER_GRADES`` 3.0 ms a learner: ``gradereport_user_get_grade_items`` for a whole
  course (738 learners: 2.2 s).
- ``LAB_PER_USER_PROFILE`` 2.6 ms a user: ``core_user_get_users_by_field`` with 100 values
  (0.24 s small, 0.32 s county).
- ``LAB_COMPLETION_STATUS`` 20 ms a call: one client reads 46-55 completion statuses a second.
- ``LAB_PER_COURSE`` 1.2 ms a course: ``core_course_get_courses`` (110 courses: 153 ms).
- ``LAB_PER_COHORT_MEMBER`` 5.5 µs a member: every unit cohort's members in one call (county:
  5,600 members, 46 ms).
- ``LAB_BATCH_REQUEST`` 23 ms and ``LAB_BATCH_SAVED`` 17.6 ms: a
  ``tool_mobile_call_external_functions`` request costs 23 ms plus, for each call inside, that
  call's demand less the 17.6 ms a request of its own would have spent on bootstrap (a completion
  status: 2.4 ms). Fitted to the lab's batch table (10 to 100 calls, 1 and 4 clients).
- ``LAB_OTHER`` 2 ms: any other read, above ``LAB_FIXED``.
- ``LAB_WRITE_PER_ITEM`` 8 ms an item (enrolments, profile updates, messages): NOT measured, a
  guess of the order of a small read; no benchmark depends on it.
- ``CAPACITY`` 2: the lab's server (2 cores shared by php-fpm and PostgreSQL) served about 2
  requests at once: 4 clients doubled the throughput of 1 (completion status: 99-104 req/s
  against 46-55), 8 clients only queued (101-106 req/s).

A request mix (:func:`describe` of every call, as ``bench/sync_roads.py --record-mix`` writes it)
can be priced again without re-running the sync (:func:`request_demand`, :func:`sync_seconds`):
that is how the test checks the county sync figures in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

# --- the level: real sites against the lab -------------------------------------------------------
SITE_FACTOR = 4.0

# --- the shape: the lab (measurements.md), seconds, one call at a time, warm -----------------------
CAPACITY = 2.0
LAB_FIXED = 0.0155
LAB_PER_PARTICIPANT_FULL = 0.0027
LAB_PER_PARTICIPANT_LEAN = 0.00024
LAB_PER_LEARNER_GRADES = 0.0030
LAB_PER_USER_PROFILE = 0.0026  # the lab: 2.2 ms (small) and 3.1 ms (county) a user
LAB_COMPLETION_STATUS = 0.020
LAB_PER_COURSE = 0.0012
LAB_PER_COHORT_MEMBER = 0.0000055
LAB_BATCH_REQUEST = 0.023
LAB_BATCH_SAVED = 0.0176
LAB_INNER_MINIMUM = 0.0005
LAB_OTHER = 0.002
LAB_WRITE_PER_ITEM = 0.008  # not measured: a guess

# --- what the simulator charges (real-site seconds) ----------------------------------------------
FIXED = SITE_FACTOR * LAB_FIXED
BATCH_REQUEST = SITE_FACTOR * LAB_BATCH_REQUEST

# Report builder pages: fitted to the real sites directly (see the docstring).
REPORT_QUERY_ROW = 43e-6  # per row of the whole report, every page
REPORT_GRADE_QUERY_ROW = 36e-6  # the same, added by a Grade column
REPORT_CELL_CHEAP = 50e-6  # per row returned, a column
REPORT_CELL_ENROLMENT = 97e-6
REPORT_CELL_GRADE = 53e-6
REPORT_CELL_PROGRESS = 2.76e-3
ENROLMENT_COLUMNS = frozenset({"enrol_status", "enrol_timestart", "enrol_timeend"})
GRADE_COLUMNS = frozenset({"grade"})
PROGRESS_COLUMNS = frozenset({"progress"})
# ASSUMED, not measured (see the docstring, "Assumptions"):
DATE_COLUMNS = frozenset({"user_timemodified"})  # a user date: priced as an enrolment date cell
PROFILE_COLUMN = "profile:"  # a user profile field: a LEFT JOIN and a cell, priced as the Grade column
REPORT_FILTER_SCAN_SHARE = 0.1  # a filtered page's query: this share of the per-row cost, for every row

BATCH = "tool_mobile_call_external_functions"
WRITES = ("enrol_manual_enrol_users", "core_user_update_users", "core_message_send_instant_messages")
COMPLETION_READS = ("core_completion_get_course_completion_status",
                    "core_completion_get_activities_completion_status")


def cell_seconds(column: str) -> float:
    """Seconds a report row costs for one column (real site)."""
    if column in PROGRESS_COLUMNS:
        return REPORT_CELL_PROGRESS
    if column in GRADE_COLUMNS or column.startswith(PROFILE_COLUMN):
        return REPORT_CELL_GRADE
    if column in ENROLMENT_COLUMNS or column in DATE_COLUMNS:
        return REPORT_CELL_ENROLMENT
    return REPORT_CELL_CHEAP


def query_row_seconds(columns: Sequence[str]) -> float:
    """Seconds every page pays per row of the report's query: the base query, plus a join for a
    Grade column and for each profile field column."""
    joins = sum(1 for c in columns if c in GRADE_COLUMNS or c.startswith(PROFILE_COLUMN))
    return REPORT_QUERY_ROW + joins * REPORT_GRADE_QUERY_ROW


def report_page(columns: Sequence[str], rows: int, total_rows: int, scanned_rows: int | None = None,
                scan_share: float | None = None) -> float:
    """Seconds one report page takes a real site: the whole query again, then its rows.

    ``total_rows``: the rows the query matches (what the page's count says); ``scanned_rows``: for a
    page read through filters, the unfiltered report's rows, each priced at ``scan_share``
    (REPORT_FILTER_SCAN_SHARE: an assumption) of the per-row query cost."""
    query = query_row_seconds(columns)
    share = REPORT_FILTER_SCAN_SHARE if scan_share is None else scan_share
    scan = 0.0 if scanned_rows is None else max(0, scanned_rows - total_rows) * query * share
    return FIXED + total_rows * query + scan + rows * sum(cell_seconds(c) for c in columns)


def describe(function: str, arguments: dict[str, Any], answer: Any, report_columns: Sequence[str] | None = None,
             total_rows: int = 0, scanned_rows: int | None = None) -> list[Any]:
    """What drives a call's cost, as a small JSON-able list ``[function, items, ...]``."""
    if function == "core_enrol_get_enrolled_users":
        lean = any(o.get("name") == "userfields" for o in arguments.get("options") or [])
        return [function, len(answer or []), lean]
    if function == "gradereport_user_get_grade_items":
        return [function, len((answer or {}).get("usergrades", []))]
    if function == "core_cohort_get_cohort_members":
        return [function, sum(len(c["userids"]) for c in answer or [])]
    if function == "core_reportbuilder_retrieve_report":
        rows = len((answer or {}).get("data", {}).get("rows", []))
        work = [function, rows, total_rows, list(report_columns or [])]
        return work if scanned_rows is None else [*work, scanned_rows]
    if function in WRITES:
        return [function, next((len(v) for v in arguments.values() if isinstance(v, list)), 1)]
    return [function, len(answer) if isinstance(answer, list) else 0]


def price(work: Sequence[Any], scan_share: float | None = None) -> float:
    """Seconds of real Moodle service for a call described by :func:`describe`."""
    function: str = work[0]
    items: int = work[1]
    if function == "core_reportbuilder_retrieve_report":
        return report_page(work[3], items, work[2], work[4] if len(work) > 4 else None, scan_share)
    if function == "core_enrol_get_enrolled_users":
        lab = LAB_FIXED + items * (LAB_PER_PARTICIPANT_LEAN if work[2] else LAB_PER_PARTICIPANT_FULL)
    elif function == "gradereport_user_get_grade_items":
        lab = LAB_FIXED + items * LAB_PER_LEARNER_GRADES
    elif function == "core_user_get_users_by_field":
        lab = LAB_FIXED + items * LAB_PER_USER_PROFILE
    elif function in COMPLETION_READS:
        lab = LAB_COMPLETION_STATUS
    elif function == "core_course_get_courses":
        lab = LAB_FIXED + items * LAB_PER_COURSE
    elif function == "core_cohort_get_cohort_members":
        lab = LAB_FIXED + items * LAB_PER_COHORT_MEMBER
    elif function in WRITES:
        lab = LAB_FIXED + items * LAB_WRITE_PER_ITEM
    else:
        lab = LAB_FIXED + LAB_OTHER
    return SITE_FACTOR * lab


def demand(function: str, arguments: dict[str, Any], answer: Any, report_columns: list[str] | None = None,
           total_rows: int = 0, scanned_rows: int | None = None) -> float:
    """Seconds of real Moodle service one call needs."""
    return price(describe(function, arguments, answer, report_columns, total_rows, scanned_rows))


def inner_demand(single_call_demand: float) -> float:
    """A call's cost inside a batch: the request's fixed cost is paid once by the batch."""
    return max(SITE_FACTOR * LAB_INNER_MINIMUM, single_call_demand - SITE_FACTOR * LAB_BATCH_SAVED)


def phase_seconds(demands: list[float], clients: int) -> float:
    """Wall time of a phase of independent calls made by ``clients`` concurrent clients."""
    if not demands:
        return 0.0
    return max(sum(demands) / min(max(clients, 1), CAPACITY), max(demands))


# --- request mixes: a sync's calls, priced again without running it -----------------------------


def request_demand(entry: dict[str, Any], scan_share: float | None = None) -> float:
    """Seconds of one recorded request: ``{"work": describe(...) or None (an error: FIXED),
    "inner": [[work, count], ...], "errors": n}`` (``inner``/``errors`` for a batch). ``scan_share``:
    another REPORT_FILTER_SCAN_SHARE to price filtered report pages with (1.0: the pessimistic bound)."""
    if entry.get("inner") is not None:
        inner: float = sum(count * inner_demand(price(work)) for work, count in entry["inner"])
        errors: int = entry.get("errors", 0)
        return BATCH_REQUEST + inner + errors * inner_demand(FIXED)
    return price(entry["work"], scan_share) if entry.get("work") else FIXED


def phases(mix: Iterable[dict[str, Any]], scan_share: float | None = None) -> list[tuple[str, list[float]]]:
    """Consecutive requests with the same ``phase`` label, in order, with their demands."""
    result: list[tuple[str, list[float]]] = []
    for entry in mix:
        if not result or result[-1][0] != entry["phase"]:
            result.append((entry["phase"], []))
        result[-1][1].append(request_demand(entry, scan_share))
    return result


def sync_seconds(mix: Iterable[dict[str, Any]], clients: int, scan_share: float | None = None) -> float:
    """Simulated seconds a real site spends serving a recorded sync, phase after phase."""
    return sum(phase_seconds(demands, clients) for _label, demands in phases(mix, scan_share))
