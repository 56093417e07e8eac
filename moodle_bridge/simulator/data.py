"""The simulated site's data and the changes a test can make to it between syncs."""

from __future__ import annotations

from dataclasses import dataclass, field

SITE_COURSE_ID = 1


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


@dataclass
class Activity:
    cmid: int
    modname: str  # page, book, quiz, assign
    instance: int
    name: str
    graded: bool = False


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
    pass_grade: float | None = 60.0  # None: the course has no grade criterion


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


ROLE_IDS = {"student": 5, "editingteacher": 3}


@dataclass
class Enrolment:
    courseid: int
    userid: int
    role: str = "student"
    status: int = 0  # 0 active, 1 suspended
    timestart: int = 0
    timeend: int = 0
    timecreated: int = 0

    def active_at(self, now: int) -> bool:
        return (
            self.status == 0
            and (not self.timestart or self.timestart <= now)
            and (not self.timeend or self.timeend > now)
        )


@dataclass
class Progress:
    """One learner in one course: activity completion times, the final grade, the course completion."""

    activity_times: dict[int, int] = field(default_factory=dict)  # cmid -> time completed
    grade: float | None = None
    graded_at: int | None = None
    timecompleted: int | None = None  # course completion (= latest criterion time)
    timestarted: int = 0


@dataclass
class Report:
    id: int
    name: str
    columns: list[str]  # column keys, see simulator.functions.REPORT_COLUMNS
    timecreated: int = 0


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
    revision: int = 0  # bumped by every change below; answers derived from the data cache on it
    _next_id: int = 100_000

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # --- reads used by the handlers and by tests (indexed per revision: a province is large) ----

    def _index(self, name: str, build):
        cached = self.__dict__.get("_indexes", {}).get(name)
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

    # --- changes between syncs -------------------------------------------------------------------

    def complete(self, courseid: int, userid: int, at: int, grade: float | None = 80.0) -> None:
        """The learner finishes every activity at ``at``; the course completes then."""
        self.revision += 1
        course = self.courses[courseid]
        progress = self.progress.setdefault((courseid, userid), Progress(timestarted=at))
        for activity in course.activities:
            progress.activity_times[activity.cmid] = at
        if course.pass_grade is not None:
            progress.grade, progress.graded_at = grade, at
            if grade is None or grade < course.pass_grade:
                progress.timecompleted = None
                return
        progress.timecompleted = at

    def reset_completion(self, courseid: int, userid: int) -> None:
        """What a course reset (or a deleted completion) does to one learner."""
        self.revision += 1
        self.progress.pop((courseid, userid), None)

    def set_grade(self, courseid: int, userid: int, grade: float | None, at: int) -> None:
        self.revision += 1
        progress = self.progress.setdefault((courseid, userid), Progress())
        progress.grade, progress.graded_at = grade, at

    def enrol(self, courseid: int, userid: int, role: str = "student", timestart: int = 0, timeend: int = 0) -> None:
        self.revision += 1
        existing = self.enrolments.get((courseid, userid))
        if existing:
            existing.status, existing.timestart, existing.timeend = 0, timestart, timeend
        else:
            self.enrolments[(courseid, userid)] = Enrolment(courseid, userid, role, 0, timestart, timeend, self.now)

    def unenrol(self, courseid: int, userid: int) -> None:
        self.revision += 1
        self.enrolments.pop((courseid, userid), None)

    def suspend_enrolment(self, courseid: int, userid: int, suspended: bool = True) -> None:
        self.revision += 1
        self.enrolments[(courseid, userid)].status = 1 if suspended else 0

    def suspend_user(self, userid: int, suspended: bool = True) -> None:
        self.revision += 1
        self.users[userid].suspended = suspended

    def delete_user(self, userid: int) -> None:
        """Moodle keeps the row, marks it deleted, and drops its enrolments and cohort memberships."""
        self.revision += 1
        self.users[userid].deleted = True
        for key in [k for k in self.enrolments if k[1] == userid]:
            del self.enrolments[key]
        for cohort in self.cohorts.values():
            if userid in cohort.members:
                cohort.members.remove(userid)

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
