"""A deterministic county-like training site, at three sizes.

Shaped like the lab site of ``tests/fixtures/moodle`` (its README): seven categories, course
shortnames like ``PT26-001`` and idnumbers like ``CT2026-PT26-001``, one cohort per unit,
cadres with ``cadre_id``/``unit``/``rank``/``category`` profile fields, about 60% of
enrolments completed, 15% partly done, some suspended enrolments and users, and a few odd
records (a user without a cadre id, a course without completion tracking, HTML in names).

The ``small`` site also holds the records the lab's recorded calls name (course 8 with user 6
completed, user 46 part-way, user 10's suspended enrolment in course 4, ...), so a recorded
call can be replayed against it with its very parameters.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TypeVar

from .data import (
    USERS,
    Activity,
    ActivityCompletion,
    Category,
    Cohort,
    CompletionRecord,
    Course,
    Enrolment,
    Progress,
    Report,
    Site,
    User,
)
from .feedback import add_feedbacks

_T = TypeVar("_T")

YEAR_START = 1767196800  # 2026-01-01 00:00 Asia/Shanghai
YEAR_END = 1798732740  # 2026-12-31 23:59 Asia/Shanghai
DEFAULT_NOW = 1795219200  # 2026-11-21 08:00 Asia/Shanghai: a fixed, repeatable clock


@dataclass(frozen=True)
class Size:
    cadres: int
    courses: int
    units: int
    enrolments_per_cadre: float
    trainers: int


SIZES = {
    "tiny": Size(cadres=40, courses=8, units=4, enrolments_per_cadre=4.0, trainers=2),  # for property tests
    "small": Size(cadres=300, courses=24, units=15, enrolments_per_cadre=7.0, trainers=7),
    "county": Size(cadres=5600, courses=110, units=45, enrolments_per_cadre=8.0, trainers=14),
    "province": Size(cadres=100_000, courses=500, units=800, enrolments_per_cadre=8.0, trainers=60),
}

CATEGORIES = [
    ("Political Theory", "PT"), ("Party Spirit Education", "PS"), ("Law-based Administration", "LA"),
    ("Economic Development", "ED"), ("Emergency Management", "EM"), ("Digital Government", "DG"),
    ("Required Reading", "RR"),
]
TOPICS = {  # per category code: each course of a category takes the next topic (a second round is numbered)
    "PT": ["Guiding Principles of the 20th National Party Congress", "Fundamentals of Marxist Philosophy",
           "Theory of Socialism with Chinese Characteristics", "Contemporary World Economy and Politics"],
    "PS": ["Party Discipline and Rules", "Party History Study", "Revolutionary Tradition Education",
           "Integrity Education"],
    "LA": ["Constitution Study", "Administrative Law in Practice", "Lawful Administrative Enforcement",
           "The Civil Code for Officials"],
    "ED": ["Rural Revitalization", "Green Development", "Optimizing the Business Environment",
           "County Industrial Planning"],
    "EM": ["Emergency Response Planning", "Flood Prevention", "Work Safety", "Forest Fire Prevention"],
    "DG": ["Digital Government Basics", "Data Security", "Using Government Service Platforms",
           "Public Opinion in the Digital Age"],
}
BOOKS = [
    "The Governance of China (Volume I)", "The Governance of China (Volume II)",
    "Selected Readings on Party History", "The Constitution and Its Interpretation",
]
SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun",
            "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Luo", "Gao", "Yao", "Xiao", "Cai"]
GIVEN = ["Wei", "Fang", "Na", "Min", "Jing", "Lei", "Yong", "Yan", "Jie", "Tao", "Ming", "Chao",
         "Xiuying", "Haitao", "Lijun", "Ping", "Hui", "Gang", "Jun", "Xin", "Qiang", "Li"]
TOWNS = ["Datang", "Xinxing", "Longquan", "Hekou", "Baishui", "Shiqiao", "Qingshan", "Huaxi",
         "Taiping", "Dongfeng", "Xiping", "Nanhu", "Beiling", "Shuangxi", "Jinsha"]
BUREAUS = ["Finance", "Public Security", "Natural Resources", "Agriculture and Rural Affairs",
           "Education", "Health", "Civil Affairs", "Transport", "Water Resources", "Commerce",
           "Audit", "Statistics", "Emergency Management", "Ecology and Environment", "Justice"]
RANKS = [("county_leader", 0.03), ("section_chief", 0.15), ("deputy_section_chief", 0.2),
         ("staff", 0.5), ("village_cadre", 0.12)]
PROFILE_FIELDS = {"cadre_id": "Cadre ID", "unit": "Work unit", "rank": "Rank", "category": "Cadre category"}

LEAN_REPORT = ["course_idnumber", "user_idnumber", "completed", "time_completed"]
RECOMMENDED_REPORT = ["course_idnumber", "user_idnumber", "enrol_status", "enrol_timestart", "enrol_timeend",
                      "completed", "time_completed"]  # what the README asks an administrator to build
FULL_REPORT = ["course_idnumber", "course_shortname", "course_hours", "username", "user_idnumber",
               "cadre_id", "unit", "enrol_status", "enrol_timestart", "enrol_timeend", "completed",
               "time_enrolled", "completion_timestarted", "time_completed", "progress", "grade"]
# The recommended columns plus the course grade, in the recorded site's report 4 order.
GRADE_REPORT = ["course_idnumber", "user_idnumber", "completed", "time_completed", "enrol_status", "enrol_timestart",
                "enrol_timeend", "grade"]
ADMIN_ID = 2
# The README's second report: cadres' profiles on the Users source, profile field columns headed by their
# short names; and the filters it asks for on both reports.
PROFILES_REPORT = ["fullnamewithlink", "username", "user_idnumber", "firstname", "lastname", "email", "department",
                   "suspended", *(f"profile:{shortname}" for shortname in PROFILE_FIELDS)]
COMPLETIONS_FILTERS = ("course:courseselector", "completion:timecompleted", "enrolment:timecreated")
PROFILES_FILTERS = ("user:timemodified",)


def profiles_report(report_id: int, timecreated: int) -> Report:
    return Report(report_id, "moodle_bridge: cadres' profiles", list(PROFILES_REPORT), timecreated, source=USERS,
                  filters=list(PROFILES_FILTERS), headings={f"profile:{f}": f for f in PROFILE_FIELDS})


def unit_names(count: int) -> list[str]:
    names = [f"{t} Town Government" for t in TOWNS] + [f"County {b} Bureau" for b in BUREAUS]
    names += ["County Party Committee Organization Department", "County Party School"]
    n = 0
    while len(names) < count:  # a province: more towns, numbered
        n += 1
        names.append(f"{TOWNS[n % len(TOWNS)]} No.{n} Town Government")
    return names[:count]


def generate(size: str = "small", seed: int = 2026, now: int = DEFAULT_NOW, lab_anchors: bool = True) -> Site:
    """A site of ``size``; the ``small`` one also holds the lab's recorded records unless ``lab_anchors`` is off
    (the demo's county has no throwaway course of the lab's write calls)."""
    spec = SIZES[size]
    rng = random.Random(f"{seed}-{size}")
    site = Site(name=f"County Cadre Training Lab ({size})", now=now, profile_field_names=dict(PROFILE_FIELDS))
    _categories(site)
    _courses(site, spec, rng)
    _users(site, spec, rng)
    _enrolments_and_progress(site, spec, rng)
    _real_shapes(site, rng)
    site.reports[1] = Report(1, "Lab: course completions (students, all courses)", FULL_REPORT, now - 86400)
    site.reports[2] = Report(2, "Lab: course completions lean", LEAN_REPORT, now - 86400)
    site.reports[3] = Report(3, "moodle_bridge: course completions", RECOMMENDED_REPORT, now - 86400)
    site.reports[4] = Report(4, "moodle_bridge: course completions with the course grade", GRADE_REPORT, now - 86400)
    for report_id in (3, 4):  # the filters the README asks for (only a value set by a caller applies one)
        site.reports[report_id].filters = list(COMPLETIONS_FILTERS)
    site.reports[5] = profiles_report(5, now - 86400)
    add_feedbacks(site, seed, size)  # Feedback activities: course evaluations and training needs
    if size == "small" and lab_anchors:
        _lab_anchors(site)
    return site


def _title(topics: list[str], n: int) -> str:
    """The ``n``-th course's title of a category: its topics in turn, numbered from the second round on."""
    title = topics[(n - 1) % len(topics)]
    return title if n <= len(topics) else f"{title} ({(n - 1) // len(topics) + 1})"


def _activity(cmid: int, kind: str, instance: int, name: str) -> Activity:
    """The lab's completion rules: pages and books complete on view, an assignment on a grade, a quiz on a
    passing grade."""
    graded = kind in ("quiz", "assign")
    return Activity(cmid, kind, instance, name, graded=graded, passgrade=kind == "quiz", view=not graded,
                    grade_item_id=10_000 + cmid if graded else 0)


def _categories(site: Site) -> None:
    site.categories[1] = Category(1, "Category 1", None, "", 0, 10000, 1, YEAR_START - 86400)
    for index, (name, code) in enumerate(CATEGORIES, start=2):
        site.categories[index] = Category(index, name, f"CAT-{code}",
                                          f"<p>{name} courses of the county cadre training programme.</p>",
                                          0, index * 10000, 1, YEAR_START - 3600)


def _courses(site: Site, spec: Size, rng: random.Random) -> None:
    reading = max(4, round(spec.courses / 6.9))  # 4 of 24, 16 of 110
    online = spec.courses - reading
    per_category = [online // 6 + (1 if i < online % 6 else 0) for i in range(6)] + [reading]
    course_id, cmid, instance = 2, 10, 1
    for (cat_index, (_cat_name, code)), count in zip(enumerate(CATEGORIES, start=2), per_category, strict=False):
        for n in range(1, count + 1):
            shortname = f"{code}26-{n:03d}"
            is_reading = code == "RR"
            title = _title(BOOKS if is_reading else TOPICS[code], n)
            hours = float(rng.choice([2, 3, 4, 6, 8, 10, 12])) if not is_reading else 4.0
            course = Course(
                id=course_id, shortname=shortname, fullname=title, idnumber=f"CT2026-{shortname}",
                categoryid=cat_index, startdate=YEAR_START, enddate=YEAR_END, hours=hours,
                training_type="required_reading" if is_reading else "online_course",
                summary=f"<p>{title}. County cadre training 2026.</p><p>hours: {hours:g}</p>",
                timecreated=YEAR_START - 7200, timemodified=YEAR_START - 7200,
            )
            kinds = ["book", "quiz"] if is_reading else ["page", "book", rng.choice(["quiz", "assign"])]
            for kind in kinds:
                name = {"page": "Course guide", "book": "Lecture handbook" if not is_reading else title,
                        "quiz": "Final test" if not is_reading else "Reading test", "assign": "Study report"}[kind]
                course.activities.append(_activity(cmid, kind, instance, name))
                cmid, instance = cmid + 1, instance + 1
            course.grade_item_id, course.grade_category_id = 1000 + course_id, course_id
            site.courses[course_id] = course
            course_id += 1
    # Odd data a real site has: a course without completion tracking, HTML in a name.
    odd = site.courses[max(2, course_id - reading - 1)]
    odd.enablecompletion = 0
    odd.pass_grade = None
    site.courses[3].fullname = "Fundamentals of <b>Marxist</b> Philosophy & Practice"


def _users(site: Site, spec: Size, rng: random.Random) -> None:
    site.users[2] = User(2, "admin", "Admin", "User", "admin@example.invalid")
    site.users[3] = User(3, "bridge", "Bridge", "Integration", "bridge@example.invalid")
    site.users[4] = User(4, "bridge_nocap", "Bridge", "Nocap", "nocap@example.invalid")
    units = unit_names(spec.units)
    for index, name in enumerate(units, start=1):
        site.cohorts[index] = Cohort(index, name, f"UNIT-{index:03d}", f"All cadres of {name}")
    rank_names = [r for r, _ in RANKS]
    rank_weights = [w for _, w in RANKS]
    for k in range(1, spec.cadres + 1):
        userid = 5 + k
        cadre_id = f"CD26{k:04d}" if spec.cadres < 10_000 else f"CD{k:07d}"
        first, last = rng.choice(GIVEN), rng.choice(SURNAMES)
        unit_id = rng.randrange(1, len(units) + 1)
        rank = rng.choices(rank_names, rank_weights)[0]
        category = {"county_leader": "leading_cadre", "village_cadre": "village_cadre"}.get(rank) or rng.choices(
            ["civil_servant", "professional_technical", "reserve_cadre"], [0.6, 0.25, 0.15])[0]
        unit = units[unit_id - 1]
        email = f"{first.lower()}.{last.lower()}.{cadre_id.lower()}@cadre.example.invalid"
        site.users[userid] = User(
            userid, cadre_id.lower(), first, last, email,
            idnumber=cadre_id, department=unit,
            profile={"cadre_id": cadre_id, "unit": unit, "rank": rank, "category": category},
            suspended=rng.random() < 0.01, timemodified=site.now - 30 * 86400 + k,
        )
        site.cohorts[unit_id].members.append(userid)
    first_trainer = 5 + spec.cadres + 1
    for t in range(spec.trainers):
        userid = first_trainer + t
        first, last = rng.choice(GIVEN), rng.choice(SURNAMES)
        site.users[userid] = User(userid, f"trainer{t + 1:02d}", first, last, f"trainer{t + 1}@example.invalid")
    # Odd data: a cadre named with HTML, a guest lecturer enrolled as a student without a cadre id.
    site.users[7].lastname = "<i>Li</i> & Sons"
    guest = first_trainer + spec.trainers
    site.users[guest] = User(guest, "guest_lecturer", "Guest", "Lecturer", "guest@example.invalid")


def _enrolments_and_progress(site: Site, spec: Size, rng: random.Random) -> None:
    course_ids = sorted(c for c in site.courses)
    cadres = [u for u in site.users.values() if u.idnumber]
    for user in cadres:
        count = max(1, min(len(course_ids), round(rng.gauss(spec.enrolments_per_cadre, 1.5))))
        for courseid in sorted(rng.sample(course_ids, count)):
            enrolment = Enrolment(courseid, user.id, timecreated=YEAR_START + rng.randrange(0, 60 * 86400))
            roll = rng.random()
            if roll < 0.015:
                enrolment.status = 1
            elif roll < 0.03:
                enrolment.timeend = YEAR_START + 180 * 86400 - 1  # expired 2026-06-30
            elif roll < 0.13:
                enrolment.timeend = YEAR_END
            if rng.random() < 0.4:
                enrolment.timestart = enrolment.timecreated
            site.enrolments[(courseid, user.id)] = enrolment
            _progress(site, site.courses[courseid], user.id, enrolment, rng)
    trainers = [u.id for u in site.users.values() if u.username.startswith("trainer")]
    for courseid in course_ids:
        teacher = trainers[courseid % len(trainers)]
        site.enrolments[(courseid, teacher)] = Enrolment(courseid, teacher, "editingteacher", timecreated=YEAR_START)
    guest = next(u.id for u in site.users.values() if u.username == "guest_lecturer")
    site.enrolments[(course_ids[0], guest)] = Enrolment(course_ids[0], guest, timecreated=YEAR_START)


def _progress(site: Site, course: Course, userid: int, enrolment: Enrolment, rng: random.Random) -> None:
    if not course.enablecompletion:
        return
    record = CompletionRecord(enrolment.timecreated)
    progress = site.progress[(course.id, userid)] = Progress(record=record)
    roll = rng.random()
    started = max(enrolment.timecreated, YEAR_START) + rng.randrange(0, 30 * 86400)
    latest = min(site.now, enrolment.timeend or site.now) - 3600
    if roll > 0.85 or started >= latest:
        return  # not started
    record.timestarted = started
    activities = course.tracked_activities()
    if roll < 0.6:  # completed: the last activity (graded where the course is) completes it
        done = rng.randrange(started, latest)
        grade = float(rng.randrange(60, 101)) if course.pass_grade is not None else None
        for activity in activities[:-1]:  # earlier activities were done before the last
            progress.activities[activity.cmid] = ActivityCompletion(1, rng.randrange(started, done + 1))
        _graded(progress, activities[-1], grade, done)
    else:  # part-way: some activities, perhaps a failing grade for the graded one
        for activity in activities[: rng.randrange(1, len(activities))]:
            progress.activities[activity.cmid] = ActivityCompletion(1, rng.randrange(started, latest))
        if course.pass_grade is not None and rng.random() < 0.3:
            _graded(progress, activities[-1], float(rng.randrange(20, 60)), latest - rng.randrange(0, 86400))
    site.aggregate(course.id, userid)


def _graded(progress: Progress, activity: Activity, grade: float | None, at: int) -> None:
    """The activity done at ``at``; graded, the course total follows its grade (pass or fail)."""
    state = 1
    if activity.graded and grade is not None:
        state = 2 if grade >= activity.gradepass else 3
        progress.grade, progress.graded_at, progress.grade_created = grade, at, at
    progress.activities[activity.cmid] = ActivityCompletion(state, at)


def _real_shapes(site: Site, rng: random.Random) -> None:
    """What a real site holds besides finished and unfinished learners (rates near the recorded site's)."""
    now = site.now
    inactive, open_, completed = [], [], []
    for key, enrolment in site.enrolments.items():  # in generation order: deterministic
        progress = site.progress.get(key)
        if enrolment.role != "student" or not site.users[key[1]].idnumber:
            continue
        if not enrolment.active_at(now):
            inactive.append(key)
        elif progress and progress.timecompleted:
            completed.append(key)
        elif progress:
            open_.append(key)
    for key in _share(rng, inactive, 0.2):  # suspended or ended before the completion cron first ran
        site.progress.pop(key, None)
    for key in _share(rng, open_, 0.01):  # ended lately, not completed ("Not current" now)
        site.enrolments[key].timeend = now - rng.randrange(3600, 3 * 86400)
    for key in _share(rng, open_, 0.01):  # an incomplete page or book overridden to complete by an admin
        _override(site, key, rng)
    for key in _share(rng, completed, 0.003):  # completion reset: the cron re-creates the row, timeenrolled 0
        site.reset_completion(*key)
    cadres = sorted(u.id for u in site.users.values() if u.idnumber and not u.suspended)
    for userid in _share(rng, cadres, 0.01):  # enrolled since the cron last ran: no completion row yet
        _late_enrolment(site, userid, rng, timestart=0)
    for userid in _share(rng, cadres, 0.004):  # enrolled to start in a few days: "Not current", no row
        _late_enrolment(site, userid, rng, timestart=now + rng.randrange(86400, 14 * 86400))


def _share(rng: random.Random, items: list[_T], rate: float) -> list[_T]:
    """A deterministic share of ``items`` (at least one when there are any and the rate is not 0)."""
    if not items:
        return []
    return rng.sample(items, max(1, round(len(items) * rate)))


def _override(site: Site, key: tuple[int, int], rng: random.Random) -> None:
    progress = site.progress[key]
    todo = [a for a in site.courses[key[0]].tracked_activities() if a.view and a.cmid not in progress.activities]
    if todo:
        progress.activities[todo[0].cmid] = ActivityCompletion(1, site.now - rng.randrange(3600, 86400), ADMIN_ID)
        site.aggregate(*key)


def _late_enrolment(site: Site, userid: int, rng: random.Random, timestart: int) -> None:
    courses = [c for c in sorted(site.courses) if (c, userid) not in site.enrolments]
    if courses:
        courseid = rng.choice(courses)
        site.enrolments[(courseid, userid)] = Enrolment(
            courseid, userid, timestart=timestart, timeend=YEAR_END if timestart else 0,
            timecreated=site.now - rng.randrange(600, 86400))


def _lab_anchors(site: Site) -> None:
    """The records the lab's recorded calls name, in the states the recordings show."""
    course8 = site.courses[8]
    course8.activities = [_activity(44, "page", 11, "Course guide"), _activity(45, "book", 3, "Lecture handbook"),
                          _activity(46, "quiz", 2, "Final test")]
    course8.grade_item_id = 13
    for userid in (6, 46):
        site.enrol(8, userid)
    site.enrolments[(8, 6)].timecreated = YEAR_START
    site.progress[(8, 6)] = Progress({44: ActivityCompletion(1, 1768067115), 45: ActivityCompletion(1, 1768067115)},
                                     record=CompletionRecord(YEAR_START))
    site.set_grade(8, 6, 90.0, 1768313872)  # the quiz passed: the course completes
    site.progress[(8, 46)] = Progress({44: ActivityCompletion(1, 1784830099), 45: ActivityCompletion(1, 1785254001)},
                                      record=CompletionRecord(site.now, 1784830099))
    site.set_grade(8, 46, 50.0, 1785254001)  # the quiz failed: part-way
    site.enrol(4, 10)
    site.suspend_enrolment(4, 10)
    site.enrol(7, 16)
    site.enrolments[(7, 16)].timeend = YEAR_START + 180 * 86400 - 1
    site.unenrol(8, 8)
    reading = site.courses[22]
    reading.training_type, reading.categoryid = "required_reading", 8
    # The throwaway course and user the lab's write calls used.
    site.courses[29] = Course(29, "FIXTURE-C1", "FIXTURE throwaway course", "FIXTURE-C1", 2, YEAR_START, YEAR_END,
                              2.0, "online_course", "<p>Throwaway course for fixtures.</p><p>hours: 2</p>",
                              activities=[_activity(117, "page", 35, "Guide"), _activity(118, "assign", 12, "Report")],
                              grade_item_id=1029, grade_category_id=29)
    site.users[315] = User(315, "fixture_newcadre", "Xiaoming", "Fixture", "fixture_newcadre@cadre.example.invalid",
                           idnumber="CD-FIXTURE-1", department="Datang Town Government",
                           profile={"cadre_id": "CD-FIXTURE-1", "unit": "Datang Town Government",
                                    "rank": "staff", "category": "civil_servant"})
    site.cohorts[1].members.append(315)
    site.enrol(29, 315)
    site.progress[(29, 315)] = Progress({117: ActivityCompletion(1, 1795241760)},
                                        record=CompletionRecord(site.now, 1795241700))
    site.set_grade(29, 315, 85.0, 1795241760)
