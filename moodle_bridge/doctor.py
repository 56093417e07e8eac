"""``moodle-bridge doctor``: is this Moodle site, token and store ready for moodle_bridge?

The function list of ``core_webservice_get_site_info`` is not proof enough: Moodle hides a
missing capability behind an empty list. So for each read the sync needs, doctor makes one
minimal real call and fails when an answer that must hold data comes back empty.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Engine

from .config import Settings
from .i18n import _
from .moodle import Call, MoodleClient, MoodleError
from .moodle.functions import FEATURES, functions_for
from .moodle.models import Cohort, Course, EnrolledUser, MemberInfo, SiteInfo
from .moodle.token_login import MOBILE_SERVICE, probe
from .rules.sections import Cadres
from .rules.units import UnitTree, from_code_prefix, from_cohort_field
from .store import migration_status
from .sync.profiles import layout as profile_layout
from .sync.report import ReportLayoutError, layout

# Filter values that select nothing, by the filters the sync sets (README: each report's filters).
_NOTHING = {"_operator": 3, "_from": 1, "_to": 2}
FILTER_PROBES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "completions": [("Course: Select courses", {"course:courseselector_values": [-1]}),
                    ("Course completion: Time completed",
                     {f"completion:timecompleted{k}": v for k, v in _NOTHING.items()}),
                    ("Enrolment: Time created", {f"enrolment:timecreated{k}": v for k, v in _NOTHING.items()})],
    "profiles": [("User: Time modified", {f"user:timemodified{k}": v for k, v in _NOTHING.items()})],
}

Status = Literal["ok", "warn", "fail"]
CLOCK_SKEW_LIMIT_S = 60
MESSAGING_SAMPLE = 20  # cadres asked about in one core_message_get_member_info call


@dataclass
class Check:
    name: str
    status: Status
    detail: str


@dataclass
class FunctionCheck:
    name: str
    feature: str
    needed_for: str  # what is lost without it
    present: bool
    optional: bool


@dataclass
class DoctorReport:
    site: dict[str, Any] = field(default_factory=dict)
    functions: list[FunctionCheck] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    completion_road: str | None = None
    clock_skew_s: float | None = None

    def add(self, name: str, status: Status, detail: str) -> None:
        self.checks.append(Check(name, status, detail))

    @property
    def ready(self) -> bool:
        return all(c.status != "fail" for c in self.checks) and all(
            f.present or f.optional for f in self.functions
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ready": self.ready}


# --- pure evaluation ---------------------------------------------------------------------------


def check_functions(site: SiteInfo, features: set[str]) -> list[FunctionCheck]:
    available = site.function_names
    result = []
    for spec in functions_for(features):
        feature = FEATURES[spec.feature]
        present = spec.name in available
        result.append(
            FunctionCheck(
                name=spec.name,
                feature=spec.feature,
                needed_for=_(feature.label),
                present=present,
                optional=feature.optional,
            )
        )
    return result


def choose_completion_road(report_ok: bool, batch_ok: bool) -> str:
    if report_ok:
        return "report"
    if batch_ok:
        return "batch"
    return "per_enrolment"


def clock_skew(server_date: datetime | None, now: datetime) -> float | None:
    """Moodle's clock minus ours; a date without a zone is UTC (as HTTP dates are), never a crash."""
    if server_date is None:
        return None
    if server_date.tzinfo is None:
        server_date = server_date.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return round((server_date - now).total_seconds(), 1)


def messaging_verdict(sampled: list[int], members: list[MemberInfo]) -> tuple[Status, str]:
    """May the integration user message the sampled cadres? ``members`` is Moodle's answer about them.

    Moodle's ``canmessage`` is ``\\core_message\\api::can_send_message`` from the integration user
    to the cadre; ``requirescontact`` tells a cadre who accepts messages from contacts only.
    """
    by_id = {m.id: m for m in members}
    gone = [u for u in sampled if u not in by_id or by_id[u].isdeleted]
    refused = [by_id[u] for u in sampled if u in by_id and not by_id[u].isdeleted and by_id[u].canmessage is not True]
    if not refused and not gone:
        return "ok", _("the integration user may message all {n} sampled cadres").format(n=len(sampled))
    why = []
    contacts_only = sum(1 for m in refused if m.requirescontact)
    if contacts_only:
        why.append(_("{n} accept messages from their contacts only").format(n=contacts_only))
    if len(refused) - contacts_only:
        why.append(_("{n} accept messages from their contacts and people in their courses, and share no course "
                     "with the integration user").format(n=len(refused) - contacts_only))
    if gone:
        why.append(_("{n} no longer exist in Moodle (run a sync)").format(n=len(gone)))
    if not refused:  # only cadres Moodle no longer has: the mirror is behind
        return "warn", _("; ").join(why)
    return "fail", _("the integration user may not message {refused} of {sampled} sampled cadres ({why}): allow "
                     "moodle/site:sendmessage and moodle/site:messageanyuser in its system role (README, "
                     "Preparing Moodle, step 6)").format(refused=len(refused), sampled=len(sampled),
                                                         why=_("; ").join(why))


def cadre_sign_in_verdict(errorcode: str) -> tuple[Status, str]:
    """What Moodle's token endpoint answering a made-up name and password says of the cadre page's sign-in."""
    if errorcode == "invalidlogin":
        return "ok", _("Moodle's token endpoint answers and checks passwords: it refused a made-up user. Moodle 5.1 "
                       "says whether the mobile app's service ({service}) is on only after a right password: "
                       "README, Preparing Moodle, step 11").format(service=MOBILE_SERVICE)
    remedy = _("turn on Enable web services for mobile devices (Site administration > General > Mobile app > "
               "Mobile settings; README, Preparing Moodle, step 11)")
    if errorcode == "enablewsdescription":
        return "fail", _("web services are off in Moodle: {remedy}").format(remedy=remedy)
    if errorcode == "servicenotavailable":
        return "fail", _("the mobile app's service is off in Moodle: {remedy}").format(remedy=remedy)
    if errorcode == "sitemaintenance":
        return "warn", _("Moodle is in maintenance mode: cadres cannot sign in until it ends")
    return "fail", _("Moodle's token endpoint answered {code} to a made-up user, not invalidlogin: cadres cannot "
                     "sign in (README, Preparing Moodle, step 11)").format(code=errorcode)


def _code(cohort: Cohort) -> str:
    return cohort.idnumber or str(cohort.id)


def unit_tree_verdict(spec: Cadres, cohorts: list[Cohort]) -> tuple[Status, str]:
    """How the unit tree the rules describe (``cadres.unit.tree``) stands in Moodle's cohorts: the custom field
    present, every parent a unit, no circle (README, Preparing Moodle: the unit tree)."""
    source = spec.unit.tree
    if source.source == "cohort_field":
        custom = [(_code(c), c.name, {f.shortname: f.valueraw if f.valueraw not in (None, "") else f.value
                                      for f in c.customfields}) for c in cohorts]
        if not any(source.field in fields for _code_, _name, fields in custom):
            return "fail", _("no cohort has the custom field '{field}' the rules take each unit's parent from: "
                             "add it (Site administration > Users > Accounts > Cohort custom fields) and fill it "
                             "in on every unit below another").format(field=source.field)
        tree = from_cohort_field(custom, source.field)
    else:
        tree = from_code_prefix([(_code(c), c.name) for c in cohorts], source.parts_separator)
    return _tree_verdict(tree)


def _tree_verdict(tree: UnitTree) -> tuple[Status, str]:
    if tree.problems:
        return "fail", " ".join(tree.problems)
    depth = max((tree.depth(code) for code in tree.units), default=0) + 1
    tops = len(tree.children().get(None, []))
    if depth == 1:
        return "warn", _("{n} units, none below another: check the parents (or the separator)").format(
            n=len(tree.units))
    return "ok", _("{n} units in {levels} levels, {tops} at the top").format(n=len(tree.units), levels=depth,
                                                                             tops=tops)


# --- the probes (I/O) --------------------------------------------------------------------------


def run_doctor(settings: Settings, client: MoodleClient, engine: Engine, cadres: Cadres | None = None
               ) -> DoctorReport:
    """The checks; ``cadres``: the rules' section saying where units and their tree come from (None: no rules
    file yet, the units flat)."""
    report = DoctorReport()
    try:
        site: SiteInfo = client.call("core_webservice_get_site_info")
    except MoodleError as exc:
        report.add(_("connection"), "fail", str(exc))
        _check_store(report, engine)
        return report
    report.clock_skew_s = clock_skew(client.last_server_date, datetime.now(UTC))
    report.site = {
        "sitename": site.sitename, "url": site.siteurl, "release": site.release,
        "version": site.version, "token_user": site.username, "token_user_id": site.userid,
        "site_admin": site.userissiteadmin,
    }
    report.add(_("connection"), "ok", _("token of user {user} accepted").format(user=site.username))
    if site.userissiteadmin:
        report.add(_("token user"), "warn", _("the token belongs to a site administrator; "
                                               "use a dedicated integration user"))
    report.functions = check_functions(site, settings.enabled_features())
    available = {f.name for f in report.functions if f.present}
    prober = _Prober(report, settings, client, available, cadres or Cadres())
    prober.run()
    if settings.features.notify:
        prober.messaging(site.userid, engine)
    if settings.web.cadre_page:
        _check_cadre_sign_in(report, settings)
    _check_unseen(report, settings, prober.report_has_grades, engine)
    _check_clock(report)
    _check_store(report, engine)
    return report


class _Prober:
    """Minimal real calls, each recorded in the report as ok, warn or fail."""

    def __init__(self, report: DoctorReport, settings: Settings, client: MoodleClient, available: set[str],
                 cadres: Cadres):
        self.report, self.settings, self.client, self.available = report, settings, client, available
        self.cadres = cadres
        self.report_has_grades = False
        self.participants: list[EnrolledUser] = []  # a few learners seen in the first courses

    def call(self, name: str, function: str, **arguments: Any) -> Any:
        """The typed answer; None when the function is not in the service or the call failed."""
        if function not in self.available:
            return None
        try:
            return self.client.call(function, **arguments)
        except MoodleError as exc:
            self.report.add(name, "fail", str(exc))
            return None

    def must_hold(self, name: str, items: list[Any] | None, capability: str) -> None:
        if items is None:
            return
        if items:
            self.report.add(name, "ok", _("{n} visible").format(n=len(items)))
        else:
            self.report.add(name, "fail", _("Moodle answered an empty list: the integration user's "
                                            "role probably lacks {capability}").format(capability=capability))

    def run(self) -> None:
        report = self.report
        self.must_hold(_("categories"), self.call(_("categories"), "core_course_get_categories"),
                       "moodle/category:viewcourselist")
        courses: list[Course] | None = self.call(_("courses"), "core_course_get_courses")
        real_courses = [c for c in courses or [] if not c.is_site]
        self.must_hold(_("courses"), None if courses is None else real_courses, "moodle/course:view")
        self.cohorts()

        course, user = self.find_participant(real_courses)
        if course is None or user is None:
            return
        users = self.call(_("cadre profiles"), "core_user_get_users_by_field", field="id", values=[user.id])
        self.must_hold(_("cadre profiles"), users, "moodle/user:viewdetails, moodle/user:viewalldetails")
        status = self.call(_("course completion"), "core_completion_get_course_completion_status",
                           courseid=course.id, userid=user.id)
        if status is not None:
            report.add(_("course completion"), "ok", _("read for one enrolment"))
        if self.settings.features.grades:
            grades = self.call(_("final grades"), "gradereport_user_get_grade_items",
                               courseid=course.id, userid=user.id)
            self.must_hold(_("final grades"), None if grades is None else grades.usergrades,
                           "gradereport/user:view, moodle/grade:viewall")
        report.completion_road = choose_completion_road(self.completions_report(), self.batch())
        self.profiles_report()
        self.report_filters()

    def cohorts(self) -> None:
        name = _("units (cohorts)")
        cohorts = self.call(name, "core_cohort_get_cohorts")
        if cohorts:
            self.report.add(name, "ok", _("{n} visible").format(n=len(cohorts)))
        elif cohorts is not None:
            self.report.add(name, "warn", _("no cohorts visible (moodle/cohort:view); "
                                            "fine only if units come from a profile field"))
        tree = self.cadres.unit.tree.source
        if tree in ("cohort_field", "code_prefix") and cohorts is not None:
            self.report.add(_("unit tree"), *unit_tree_verdict(self.cadres, cohorts))
        elif tree == "none":
            self.report.add(_("unit tree"), "ok", _("none described: the units are flat (README, Preparing "
                                                    "Moodle: the unit tree)"))
        else:  # a profile path or the units file: read from the store (`moodle-bridge units show`)
            self.report.add(_("unit tree"), "ok", _("from {source}: `moodle-bridge units show` checks it after a "
                                                    "sync").format(source=_("the units file") if tree == "file"
                                                                   else _("the unit profile field's paths")))

    def find_participant(self, courses: list[Course]) -> tuple[Course | None, EnrolledUser | None]:
        """An active learner of one of the first courses: proves participants are visible."""
        name = _("participants")
        if "core_enrol_get_enrolled_users" not in self.available or not courses:
            return None, None
        options = [
            {"name": "userfields", "value": "id,idnumber"},
            {"name": "onlyactive", "value": 1},
            {"name": "limitnumber", "value": 2},  # two: the integration user may be enrolled too
        ]
        sample = courses[:10]
        calls = [Call("core_enrol_get_enrolled_users", {"courseid": c.id, "options": options}) for c in sample]
        answers = list(zip(sample, self.client.call_many(calls), strict=True))
        own = self.report.site.get("token_user_id")
        self.participants = [next(u for u in a if u.id != own) for _c, a in answers
                             if not isinstance(a, MoodleError) and any(u.id != own for u in a)]
        for course, answer in answers:
            if isinstance(answer, MoodleError):
                self.report.add(name, "fail", str(answer))
                return None, None
            if answer:
                self.report.add(name, "ok", _("visible in course {course}").format(course=course.shortname))
                return course, answer[0]
        self.report.add(name, "fail", _("no participants visible in the first {n} courses: the role "
                                        "probably lacks moodle/course:enrolreview or "
                                        "moodle/course:viewparticipants").format(n=len(sample)))
        return None, None

    def completions_report(self) -> bool:
        report_id = self.settings.moodle.completions_report_id
        name = _("completions report")
        if report_id is None:
            self.report.add(name, "warn", _("not configured (moodle.completions_report_id): "
                                            "completions are read one enrolment at a time, much slower"))
            return False
        page = self.call(name, "core_reportbuilder_retrieve_report", reportid=report_id, page=0, perpage=1)
        if page is None:
            return False
        if page.data.totalrowcount == 0:
            self.report.add(name, "fail", _("report {id} has no rows: check its audience and "
                                            "conditions (README)").format(id=report_id))
            return False
        try:
            columns = layout(page.data.headers)
        except ReportLayoutError as exc:
            self.report.add(name, "fail", str(exc))
            return False
        status = (_("enrolment status from the report") if columns.has("enrol_status")
                  else _("enrolment status read per course (add the Status column to save those calls)"))
        self.report_has_grades = columns.has("grade")
        grades = (_("final grades from the report") if columns.has("grade")
                  else _("final grades read per course (add the Grade column: fewer calls, and the grades of "
                         "suspended and ended enrolments too)"))
        self.report.add(name, "ok", _("report {id}: {rows} rows; {status}; {grades}").format(
            id=report_id, rows=page.data.totalrowcount, status=status, grades=grades))
        return True

    def profiles_report(self) -> None:
        """The profiles report's columns (README, The profiles report), when one is configured."""
        report_id = self.settings.moodle.profiles_report_id
        if report_id is None:
            return
        name = _("profiles report")
        page = self.call(name, "core_reportbuilder_retrieve_report", reportid=report_id, page=0, perpage=1)
        if page is None:
            return
        try:
            columns = profile_layout(page.data.headers, self.settings.sync.cadre_id_field)
        except ReportLayoutError as exc:
            self.report.add(name, "fail", str(exc))
            return
        if page.data.totalrowcount == 0:
            self.report.add(name, "fail", _("report {id} has no rows: check its audience and "
                                            "conditions (README)").format(id=report_id))
            return
        self.report.add(name, "ok", _("report {id}: {rows} users; profile fields {fields}").format(
            id=report_id, rows=page.data.totalrowcount, fields=", ".join(sorted(columns.fields))))

    def report_filters(self) -> None:
        """With sync.report_filters: each filter the sync sets is on its report. Set to select
        nothing (a course id that cannot exist, a date range of one second in 1970), a report must
        answer no rows; Moodle ignores a value for a filter the report lacks, and answers them all.
        The integration user's filter values are reset after (they are its preferences)."""
        if not self.settings.sync.report_filters:
            return
        name = _("report filters")
        if not {"core_reportbuilder_set_filters", "core_reportbuilder_filters_reset"} <= self.available:
            self.report.add(name, "warn", _("not checked: core_reportbuilder_set_filters and "
                                            "core_reportbuilder_filters_reset are not both in the service"))
            return
        wanted = [(self.settings.moodle.completions_report_id, FILTER_PROBES["completions"]),
                  (self.settings.moodle.profiles_report_id, FILTER_PROBES["profiles"])]
        missing = []
        for report_id, probes in wanted:
            if report_id is None:
                continue
            try:
                for label, values in probes:
                    self.client.call("core_reportbuilder_set_filters", reportid=report_id, values=json.dumps(values))
                    page = self.client.call("core_reportbuilder_retrieve_report", reportid=report_id, page=0,
                                            perpage=1)
                    if page.data.totalrowcount:
                        missing.append(f"{label} ({report_id})")
                self.client.call("core_reportbuilder_filters_reset", reportid=report_id)
            except MoodleError as exc:
                self.report.add(name, "fail", str(exc))
                return
        if missing:
            self.report.add(name, "fail", _("missing from their reports: {filters} (README, Preparing Moodle, "
                                            "steps 9 and 10)").format(filters=", ".join(missing)))
        else:
            self.report.add(name, "ok", _("every filter the sync sets is on its report"))

    def messaging(self, own_id: int, engine: Engine) -> None:
        """Ask Moodle whether the integration user may message a sample of cadres (features.notify).

        Only the token's own user may be the reference user without moodle/site:readallmessages;
        ``includeprivacyinfo`` makes Moodle fill ``canmessage`` and ``requirescontact``.
        """
        name = _("messages to cadres")
        if "core_message_get_member_info" not in self.available:
            self.report.add(name, "warn", _("not checked: core_message_get_member_info is not in the service "
                                            "(README, Preparing Moodle, step 7)"))
            return
        sampled = [u for u in _cadre_sample(engine) if u != own_id] or [
            p.id for p in self.participants if p.idnumber and p.id != own_id]
        sampled = sampled[:MESSAGING_SAMPLE]
        if not sampled:
            self.report.add(name, "warn", _("no cadre to check against yet: run a sync, then doctor again"))
            return
        try:
            members = self.client.call("core_message_get_member_info", referenceuserid=own_id, userids=sampled,
                                       includecontactrequests=0, includeprivacyinfo=1)
        except MoodleError as exc:
            if exc.errorcode == "disabled":
                self.report.add(name, "fail", _("messaging is switched off in Moodle: turn on Enable messaging system "
                                                "(Site administration > General > Messaging > Messaging settings)"))
            else:
                self.report.add(name, "fail", str(exc))
            return
        self.report.add(name, *messaging_verdict(sampled, members))

    def batch(self) -> bool:
        name = _("batched calls")
        if "tool_mobile_call_external_functions" not in self.available:
            self.report.add(name, "warn", _("tool_mobile_call_external_functions is not in the "
                                            "service: one call per request"))
            return False
        answer = self.client.call_batched([Call("core_webservice_get_site_info")], batch_size=1)[0]
        if isinstance(answer, MoodleError):
            self.report.add(name, "fail", str(answer))
            return False
        self.report.add(name, "ok", _("several calls per request available"))
        return True


def _check_unseen(report: DoctorReport, settings: Settings, report_has_grades: bool, engine: Engine) -> None:
    """What the road the sync will take cannot see: Moodle's completion status and grade report
    answer for active enrolments only. Counted from the mirror (suspended, ended, not yet started)."""
    blind_completions = report.completion_road not in (None, "report")
    blind_grades = settings.features.grades and not report_has_grades
    if not (blind_completions or blind_grades):
        return
    inactive = _inactive_enrolments(engine)
    what = (_("course completions and final grades") if blind_completions and blind_grades
            else _("course completions") if blind_completions else _("final grades"))
    count = (_("{n} enrolments").format(n=inactive) if inactive is not None
             else _("the enrolments (counted after the first sync)"))
    remedy = (_("configure the completions report (README, Preparing Moodle, step 9)") if blind_completions
              else _("add the Grade column to the completions report"))
    report.add(_("what this road cannot see"), "warn" if inactive != 0 else "ok",
               _("{what} of {count} that are suspended, ended or not yet started cannot be read: Moodle answers "
                 "only for active enrolments; {remedy}").format(what=what, count=count,
                                                               remedy=remedy))


def _inactive_enrolments(engine: Engine) -> int | None:
    """Inactive student enrolments in the mirror (the count the sync reports as unseen); None before
    a sync or when the store is not ready."""
    from sqlalchemy.exc import SQLAlchemyError

    from .store import mirror_reads

    status = migration_status(engine)
    if not (status.reachable and status.up_to_date):
        return None
    try:
        with engine.connect() as connection:
            if not mirror_reads.any_enrolments(connection):
                return None
            return mirror_reads.inactive_enrolments(connection)
    except SQLAlchemyError:
        return None


def _cadre_sample(engine: Engine) -> list[int]:
    """Moodle user ids of cadres from the mirror: first those flagged in the latest evaluation (notify
    messages them), then the other cadres; none when the store is not ready."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from . import results
    from .store.schema import mirror_users

    status = migration_status(engine)
    if not (status.reachable and status.up_to_date):
        return []
    try:
        with engine.connect() as connection:
            flagged = results.flagged_users(connection, MESSAGING_SAMPLE)
            others = list(connection.execute(
                select(mirror_users.c.id).where(mirror_users.c.cadre_id.is_not(None), mirror_users.c.gone_at.is_(None),
                                                mirror_users.c.suspended.is_(False))
                .order_by(mirror_users.c.id).limit(MESSAGING_SAMPLE)).scalars())
    except SQLAlchemyError:
        return []
    return list(dict.fromkeys(flagged + others))


def _check_cadre_sign_in(report: DoctorReport, settings: Settings) -> None:
    """With the cadre page on (web.cadre_page): Moodle's token endpoint answers a made-up name and password with
    its refusal, which proves the endpoint and the mobile app's service answer. No real account is tried, so no
    lock-out counts it."""
    name = _("cadres' sign-in")
    try:
        code = probe(str(settings.moodle.url), timeout=(settings.moodle.connect_timeout,
                                                         min(settings.moodle.read_timeout, 20.0)),
                     verify_tls=settings.moodle.verify_tls)
    except MoodleError as exc:
        report.add(name, "fail", _("Moodle's token endpoint ({path}) does not answer as Moodle's does: {error}")
                   .format(path="/login/token.php", error=exc))
        return
    report.add(name, *cadre_sign_in_verdict(code))


def _check_clock(report: DoctorReport) -> None:
    skew = report.clock_skew_s
    if skew is None:
        report.add(_("clock"), "warn", _("Moodle sent no Date header; clock skew unknown"))
    elif abs(skew) > CLOCK_SKEW_LIMIT_S:
        report.add(_("clock"), "warn", _("Moodle's clock differs from ours by {s} s: completions "
                                         "near a period boundary may land in the wrong period").format(s=skew))
    else:
        report.add(_("clock"), "ok", _("skew {s} s").format(s=skew))


def _check_store(report: DoctorReport, engine: Engine) -> None:
    status = migration_status(engine)
    name = _("store")
    url = engine.url.render_as_string(hide_password=True)
    if not status.reachable:
        report.add(name, "fail", _("{url} cannot be reached: {error}").format(url=url, error=status.error))
    elif status.too_new:
        report.add(name, "fail", _("{url} has schema {rev}, newer than this moodle_bridge knows: upgrade "
                                   "moodle_bridge (never downgrade the store)").format(url=url, rev=status.current))
    elif not status.up_to_date:
        report.add(name, "fail", _("{url} is not migrated: run `moodle-bridge db upgrade`").format(url=url))
    else:
        report.add(name, "ok", _("{url}, schema {rev}").format(url=url, rev=status.current))
