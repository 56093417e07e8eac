"""The simulated site's data and the changes a test can make to it between syncs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

SITE_COURSE_ID = 1

_T = TypeVar("_T")


@dataclass
class Category:
    id: int
    name: str
    idnumber: str | None
    description: str = ""
    parent: int = 0
    sortorder: int = 10000
    visible: int = 1
    timemodified: int = 0
    path: str = ""  # "/2/5"; empty: "/<id>" (a top-level category)


@dataclass
class Activity:
    """A course module and its completion rules (Moodle's course_modules row)."""

    cmid: int
    modname: str  # page, book, quiz, assign, forum, ...
    instance: int
    name: str
    graded: bool = False  # completes on receiving a grade (completionusegrade)
    passgrade: bool = False  # ... and only on a passing grade (completionpassgrade)
    view: bool = False  # completes when viewed (completionview)
    completion: int = 2  # tracking: 0 none, 1 manual, 2 automatic
    criterion: bool = True  # one of the course's completion criteria
    idnumber: str = ""
    visible: int = 1
    grade_item_id: int = 0  # graded activities: their grade item
    gradepass: float = 60.0

    def counts_as_complete(self, state: int) -> bool:
        """Complete-fail (3) completes an activity unless a passing grade is required."""
        return state in (1, 2) or (state == 3 and not self.passgrade)


@dataclass
class Course:
    id: int
    shortname: str
    fullname: str
    idnumber: str
    categoryid: int
    startdate: int
    enddate: int
    hours: float | None
    training_type: str
    summary: str = ""
    visible: int = 1
    enablecompletion: int = 1
    timecreated: int = 0
    timemodified: int = 0
    activities: list[Activity] = field(default_factory=list)
    grade_item_id: int = 0  # the course total's grade item
    grade_category_id: int = 0  # the course's top grade category (the course item's iteminstance)
    pass_grade: float | None = 60.0  # None: the course has no grade criterion
    grademax: float = 100.0  # the course total's range
    gradepass: float = 0.0  # the course total's own pass grade (0: none; the completion criterion is pass_grade)
    sortorder: int = 0  # Moodle's course sortorder; 0: category * 10000 + id
    numsections: int = 2
    format: str = "topics"

    def tracked_activities(self) -> list[Activity]:
        """The activities with completion tracking: what completion reads and counts."""
        return [a for a in self.activities if a.completion]


# Every simulated user's password unless a test gives another (the token endpoint checks it: simulator/token.py).
# Moodle keeps a hash; the simulator keeps the text, as it is nobody's real password.
DEFAULT_PASSWORD = "Cadre-2026-pass"


@dataclass
class User:
    id: int
    username: str
    firstname: str
    lastname: str
    email: str
    idnumber: str = ""
    department: str = ""
    profile: dict[str, str] = field(default_factory=dict)  # custom profile fields by shortname
    suspended: bool = False
    deleted: bool = False
    auth: str = "manual"
    city: str = "Pingshan County"
    country: str = "CN"
    timezone: str = "Asia/Shanghai"
    lang: str = "en"
    timemodified: int = 0  # user.timemodified: user_update_user() sets it on every update
    password: str = DEFAULT_PASSWORD  # checked by /login/token.php (simulator/token.py)

    @property
    def fullname(self) -> str:
        return f"{self.firstname} {self.lastname}"


@dataclass
class Cohort:
    id: int
    name: str
    idnumber: str
    description: str = ""
    visible: bool = True
    members: list[int] = field(default_factory=list)
    customfields: dict[str, str] = field(default_factory=dict)  # shortname -> value (text fields, Moodle 4.2+)


ROLE_IDS = {"student": 5, "editingteacher": 3}


@dataclass(slots=True)  # a province holds 800,000 of each of these
class Enrolment:
    courseid: int
    userid: int
    role: str = "student"
    status: int = 0  # 0 active, 1 suspended
    timestart: int = 0
    timeend: int = 0
    timecreated: int = 0
    id: int = 0  # user_enrolments id

    def active_at(self, now: int) -> bool:
        """Moodle's "active enrolment": not suspended, started, not ended (the user's own state aside)."""
        return (
            self.status == 0
            and (not self.timestart or self.timestart <= now)
            and (not self.timeend or self.timeend > now)
        )

    def tracked_at(self, now: int) -> bool:
        """Completion tracks active student enrolments only (teachers lack course:isincompletionreports)."""
        return self.role == "student" and self.active_at(now)


@dataclass(slots=True)
class ActivityCompletion:
    """A course_modules_completion row."""

    state: int  # 1 complete, 2 complete-pass, 3 complete-fail (0 incomplete: usually no row)
    time: int  # timemodified
    overrideby: int | None = None  # who overrode it (core_completion_override_activity_completion_status)


@dataclass(slots=True)
class CompletionRecord:
    """A course_completions row. The completion cron creates it; an enrolment may have none (new, or
    suspended/expired before the cron ran), which the report shows as empty cells, not "No"."""

    timeenrolled: int = 0
    timestarted: int = 0
    timecompleted: int | None = None
    reaggregate: int = 0


GRADE_CRITERION = "grade"


@dataclass(slots=True)
class Progress:
    """One learner in one course: activity completions, the course grade, criteria met, the completion row.

    ``criteria`` is course_completion_crit_compl: criterion (an activity's cmid, or GRADE_CRITERION) ->
    time met. Moodle never un-meets a criterion nor un-completes a course, so a change that could un-meet
    one first keeps what is met; None (most learners, to spare memory) means "what is met now".
    """

    activities: dict[int, ActivityCompletion] = field(default_factory=dict)
    grade: float | None = None  # the course total's finalgrade
    graded_at: int | None = None  # its timemodified
    grade_created: int | None = None  # its timecreated (the grade report's "date submitted")
    record: CompletionRecord | None = None
    criteria: dict[int | str, int] | None = None

    @property
    def timecompleted(self) -> int | None:
        return self.record.timecompleted if self.record else None

    @property
    def activity_times(self) -> dict[int, int]:
        """cmid -> time, for the activities with any completion state."""
        return {cmid: done.time for cmid, done in self.activities.items() if done.state}


PARTICIPANTS, USERS = "participants", "users"


@dataclass
class Report:
    """A custom report: on the "Course participants" source with the condition role archetype =
    student, or on the "Users" source (no condition: every user but the guest and the deleted)."""

    id: int
    name: str
    columns: list[str]  # column keys, see simulator.functions.REPORT_HEADERS (MOODLE_COLUMNS: Moodle's names)
    timecreated: int = 0
    timemodified: int = 0  # 0: as created
    source: str = PARTICIPANTS
    # The report's filters, by Moodle's unique identifier ("course:courseselector"): only these apply
    # the values a user sets (core_reportbuilder_set_filters); see simulator.functions.FILTERS.
    filters: list[str] = field(default_factory=list)
    headings: dict[str, str] = field(default_factory=dict)  # column key -> a heading set in the report editor


@dataclass
class Message:
    id: int
    touserid: int
    fromuserid: int
    text: str
    clientmsgid: str | None
    timecreated: int


@dataclass
class Site:
    """Everything the simulated Moodle knows. ``now`` is its clock (Unix seconds)."""

    name: str
    now: int
    categories: dict[int, Category] = field(default_factory=dict)
    courses: dict[int, Course] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    cohorts: dict[int, Cohort] = field(default_factory=dict)
    enrolments: dict[tuple[int, int], Enrolment] = field(default_factory=dict)
    progress: dict[tuple[int, int], Progress] = field(default_factory=dict)
    reports: dict[int, Report] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    profile_field_names: dict[str, str] = field(default_factory=dict)  # shortname -> display name
    integration_user_id: int = 3
    site_course: Course | None = None  # course 1, the front page; None: made up from ``name``
    theme_revision: int = 1795241755  # in picture URLs (Moodle's themerev setting)
    timezone: str = "Asia/Shanghai"  # the site's default, and so its users' ("99"): report dates are local
    revision: int = 0  # bumped by every change below; answers derived from the data cache on it
    # Report filter values per (user id, report id): Moodle keeps them as the user's preferences
    # (core_reportbuilder\local\helpers\user_filter_manager), not per session.
    filter_values: dict[tuple[int, int], dict[str, object]] = field(default_factory=dict)
    _next_id: int = 100_000

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # --- reads used by the handlers and by tests (indexed per revision: a province is large) ----

    def _index(self, name: str, build: Callable[[], _T]) -> _T:
        cached: tuple[int, _T] | None = self.__dict__.get("_indexes", {}).get(name)
        if cached is None or cached[0] != self.revision:
            self.__dict__.setdefault("_indexes", {})[name] = cached = (self.revision, build())
        return cached[1]

    def _by_course(self) -> dict[int, list[Enrolment]]:
        index: dict[int, list[Enrolment]] = {}
        for (courseid, _userid), enrolment in sorted(self.enrolments.items()):
            index.setdefault(courseid, []).append(enrolment)
        return index

    def _by_user(self) -> dict[int, list[int]]:
        index: dict[int, list[int]] = {}
        for courseid, userid in sorted(self.enrolments):
            index.setdefault(userid, []).append(courseid)
        return index

    def course_enrolments(self, courseid: int) -> list[Enrolment]:
        return self._index("by_course", self._by_course).get(courseid, [])

    def user_courses(self, userid: int) -> list[int]:
        return self._index("by_user", self._by_user).get(userid, [])

    def users_by(self, field: str) -> dict[str, list[User]]:
        def build() -> dict[str, list[User]]:
            index: dict[str, list[User]] = {}
            for user in sorted(self.users.values(), key=lambda u: u.id):
                index.setdefault(str(getattr(user, field)), []).append(user)
            return index

        return self._index(f"users_by_{field}", build)

    def completion_time(self, courseid: int, userid: int) -> int | None:
        progress = self.progress.get((courseid, userid))
        return progress.timecompleted if progress else None

    # --- completion, as Moodle's completion code and cron keep it ---------------------------------

    @staticmethod
    def criteria_of(course: Course) -> list[int | str]:
        """The course's completion criteria (all required)."""
        criteria: list[int | str] = [a.cmid for a in course.activities if a.completion and a.criterion]
        return criteria + ([GRADE_CRITERION] if course.pass_grade is not None else [])

    @staticmethod
    def criteria_met(course: Course, progress: Progress) -> dict[int | str, int]:
        """Criterion -> time met, read from the learner's activity completions and course grade now."""
        met: dict[int | str, int] = {}
        for activity in course.activities:
            done = progress.activities.get(activity.cmid)
            if done and activity.completion and activity.criterion and activity.counts_as_complete(done.state):
                met[activity.cmid] = done.time
        if course.pass_grade is not None and progress.grade is not None and progress.grade >= course.pass_grade:
            met[GRADE_CRITERION] = progress.graded_at or 0
        return met

    def met_criteria(self, course: Course, progress: Progress) -> dict[int | str, int]:
        """Criterion -> time met, as Moodle keeps them."""
        return progress.criteria if progress.criteria is not None else self.criteria_met(course, progress)

    def _keep_criteria(self, courseid: int, progress: Progress) -> None:
        """Before a change that could un-meet a criterion: what is met stays met."""
        if progress.criteria is None:
            progress.criteria = self.criteria_met(self.courses[courseid], progress)

    def aggregate(self, courseid: int, userid: int) -> None:
        """The completion cron for one learner: a completion row if none, newly met criteria kept, and
        the course completed (at its last criterion's time) once every criterion is met."""
        course = self.courses[courseid]
        progress = self.progress.setdefault((courseid, userid), Progress())
        if progress.record is None:
            enrolment = self.enrolments.get((courseid, userid))
            progress.record = CompletionRecord(timeenrolled=enrolment.timecreated if enrolment else 0)
        met = self.criteria_met(course, progress)
        if progress.criteria is not None:
            for criterion, at in met.items():
                progress.criteria.setdefault(criterion, at)
            met = progress.criteria
        record = progress.record
        if not record.timestarted and progress.activities:
            record.timestarted = min(done.time for done in progress.activities.values())
        if record.timecompleted is None and course.enablecompletion:
            needed = self.criteria_of(course)
            if needed and all(c in met for c in needed):
                record.timecompleted = max(met[c] for c in needed)

    # --- changes between syncs -------------------------------------------------------------------

    def complete(self, courseid: int, userid: int, at: int, grade: float | None = 80.0) -> None:
        """The learner finishes every activity at ``at`` (graded ones with ``grade``); the cron runs."""
        self.revision += 1
        course = self.courses[courseid]
        progress = self.progress.setdefault((courseid, userid), Progress())
        if course.pass_grade is not None:
            self._grade(progress, grade, at)
        for activity in course.tracked_activities():
            state = 1
            if activity.graded:
                state = 2 if grade is not None and grade >= activity.gradepass else 3
            progress.activities[activity.cmid] = ActivityCompletion(state, at)
        self.aggregate(courseid, userid)

    def reset_completion(self, courseid: int, userid: int) -> None:
        """A completion reset (course reset page, or delete_all_completion_data for one learner): the
        activity completions, criteria met and completion row go; the grade stays. The next completion
        cron re-creates the row with timeenrolled 0 and timestarted = the old completion time."""
        self.revision += 1
        progress = self.progress.get((courseid, userid))
        if progress is None:
            return
        old = progress.timecompleted or 0
        progress.activities.clear()
        progress.criteria = {}
        progress.record = CompletionRecord(timeenrolled=0, timestarted=old)
        self.aggregate(courseid, userid)

    def set_grade(self, courseid: int, userid: int, grade: float | None, at: int) -> None:
        """A (re)grade of the course's graded activity; the course total follows, and so does the
        activity's completion state (pass or fail). Met criteria and a completed course stay."""
        self.revision += 1
        course = self.courses[courseid]
        progress = self.progress.setdefault((courseid, userid), Progress())
        self._keep_criteria(courseid, progress)
        self._grade(progress, grade, at)
        for activity in course.tracked_activities():
            if activity.graded and grade is not None:
                state = 2 if grade >= activity.gradepass else 3
                done = progress.activities.get(activity.cmid)
                if done is None or done.state != state:
                    progress.activities[activity.cmid] = ActivityCompletion(state, at)
        if progress.record is not None:
            self.aggregate(courseid, userid)

    @staticmethod
    def _grade(progress: Progress, grade: float | None, at: int) -> None:
        if progress.grade_created is None and grade is not None:
            progress.grade_created = at
        progress.grade, progress.graded_at = grade, (at if grade is not None else None)

    def enrol(self, courseid: int, userid: int, role: str = "student", timestart: int = 0, timeend: int = 0) -> None:
        """enrol_manual_enrol_users: a new enrolment has no completion row until the cron runs."""
        self.revision += 1
        existing = self.enrolments.get((courseid, userid))
        if existing:
            existing.status, existing.timestart, existing.timeend = 0, timestart, timeend
        else:
            self.enrolments[(courseid, userid)] = Enrolment(courseid, userid, role, 0, timestart, timeend, self.now,
                                                            id=self.next_id())

    def unenrol(self, courseid: int, userid: int) -> None:
        self.revision += 1
        self.enrolments.pop((courseid, userid), None)

    def suspend_enrolment(self, courseid: int, userid: int, suspended: bool = True) -> None:
        self.revision += 1
        self.enrolments[(courseid, userid)].status = 1 if suspended else 0

    def suspend_user(self, userid: int, suspended: bool = True) -> None:
        self.revision += 1
        self.users[userid].suspended = suspended
        self.users[userid].timemodified = self.now  # admin/user.php suspends through user_update_user()

    def delete_user(self, userid: int) -> None:
        """Moodle's delete_user: the row stays, renamed (username <email>.<time>, email the md5 of the old
        username, no idnumber); profile data, enrolments, cohort memberships and grades go; completion
        rows stay."""
        self.revision += 1
        user = self.users[userid]
        old_username = user.username
        user.username = f"{user.email or f'{old_username}.{userid}@unknownemail.invalid'}.{self.now}".lower()
        user.email = hashlib.md5(old_username.encode()).hexdigest()
        user.idnumber, user.profile, user.deleted = "", {}, True
        user.timemodified = self.now
        for key in [k for k in self.enrolments if k[1] == userid]:
            del self.enrolments[key]
        for cohort in self.cohorts.values():
            if userid in cohort.members:
                cohort.members.remove(userid)
        for (courseid, learner), progress in self.progress.items():
            if learner == userid and courseid in self.courses:
                self._keep_criteria(courseid, progress)
                progress.grade = progress.graded_at = progress.grade_created = None

    def rename_cohort(self, cohortid: int, name: str) -> None:
        """A renamed unit: the cohort's name and its members' unit fields change, its code does not."""
        self.revision += 1
        cohort = self.cohorts[cohortid]
        for userid in cohort.members:
            user = self.users[userid]
            if user.profile.get("unit") == cohort.name:
                user.profile["unit"] = name
            if user.department == cohort.name:
                user.department = name
            user.timemodified = self.now  # the members' profiles are edited (user_update_user)
        cohort.name = name

    def move_user(self, userid: int, cohortid: int) -> None:
        self.revision += 1
        for cohort in self.cohorts.values():
            if userid in cohort.members:
                cohort.members.remove(userid)
        target = self.cohorts[cohortid]
        target.members.append(userid)
        self.users[userid].department = target.name
        self.users[userid].profile["unit"] = target.name
        self.users[userid].timemodified = self.now
