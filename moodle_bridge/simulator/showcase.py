"""The demo's county: a generated site with the year a department meets in it, and what it keeps beside Moodle.

``county(size)`` takes ``generator.generate`` (without the lab's throwaway records) and adds, seeded so that every
run gives the same county:

- the county's required learning: every cadre enrolled in two required courses and one required book. Most finish
  in time; some finish the first course after its due date, some below the department's pass grade, some not at
  all; some have not yet done the second course or the book, both due in December;
- the county-level leaders in a unit of their own, the county's leadership;
- the profile's join and promotion dates: cadres who joined this year (their hours pro-rated), recent promotions
  that owe make-up hours;
- the department's own records: offline training (this year's; last year's; the county leaders' years of their
  five-year window), one row of it entered twice; exemptions (full and pro-rated); and last year's online hours
  from the platform the county used before Moodle, some cadres short of the year's minimum.

The demo writes the records as the files staff import, and rules naming the courses here (``REQUIRED_COURSE``...).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .data import ActivityCompletion, Cohort, CompletionRecord, Course, Enrolment, Progress, Site, User
from .generator import generate

REQUIRED_COURSE = "CT2026-PT26-001"  # due 30 June: a few finish late, fail the department's grade or never finish
SECOND_COURSE = "CT2026-PS26-001"  # due in December: some have not done it yet
READING_CATEGORY = "CAT-RR"  # one book of it, due in December
MOODLE_PASS_MARK = 50.0  # the required course's own completion grade in Moodle, below the department's 60
ZONE = ZoneInfo("Asia/Shanghai")
YEAR = 2026

# Offline training as a county's records name it: (title, organiser, kind, reference prefix).
TOWNSHIP_TRAININGS = [
    ("Spring course for township cadres", "County Party School", "party school", "PS"),
    ("Rural revitalisation seminar", "County Agriculture and Rural Affairs Bureau", "seminar", "AG"),
    ("Emergency management drill", "County Emergency Management Bureau", "drill", "EM"),
    ("Grassroots governance workshop", "County Party Committee Organization Department", "workshop", "OD"),
]
LEADER_TRAININGS = [
    ("Advanced course for county-level leading cadres", "Municipal Party School", "party school", "MPS"),
    ("Thematic course on high-quality development", "Provincial Party School", "party school", "PPS"),
    ("Study tour on rural governance", "Provincial Party Committee Organization Department", "study tour", "POD"),
]
FULL = [("Long-term sick leave", date(YEAR, 2, 1)), ("Serious illness under hospital treatment", date(YEAR, 1, 10))]
LONG_COURSE = ("Training class for young and middle-aged cadres", "Provincial Party School", "party school", "PPS")
JOINED = {"county_leader": (1988, 2003), "section_chief": (1993, 2010), "deputy_section_chief": (1998, 2014),
          "staff": (2003, 2024), "village_cadre": (2000, 2024)}  # rank: the years its cadres joined in
PRO_RATED = [("Seconded to the provincial rural revitalisation task force", 184),
             ("Maternity leave", 158)]  # reason, days away


@dataclass(frozen=True)
class OfflineTraining:
    """One row of the department's offline-training records."""

    cadre_id: str
    training: str
    organiser: str
    start: date
    days: int
    kind: str
    reference: str
    leave_hours: float = 0.0

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)


@dataclass(frozen=True)
class Excusal:
    """An exemption as the department records it: the whole period (full) or some months (prorate)."""

    cadre_id: str
    reason: str
    start: date
    end: date
    effect: str


@dataclass
class County:
    """The demo's county: the Moodle site, and the records kept beside it."""

    site: Site
    offline: list[OfflineTraining] = field(default_factory=list)
    exemptions: list[Excusal] = field(default_factory=list)
    entered_twice: int = -1  # the index in ``offline`` of a row that repeats another: staff withdraw it
    # Last year's online hours by cadre id, from the learning platform the county used before Moodle: staff enter
    # them by hand (a ledger adjustment), as a county does in its first year on a new platform.
    previous_online: dict[str, float] = field(default_factory=dict)

    def site_on(self, day: date) -> Site:
        """The Moodle site as it was at the end of ``day`` (in the county's zone): see :func:`rewound`."""
        return rewound(self.site, _at(day + timedelta(days=1), 0) - 1)

    @property
    def first_entry(self) -> OfflineTraining:
        """The row that ``entered_twice`` repeats."""
        twice = self.offline[self.entered_twice]
        return next(r for r in self.offline if r.cadre_id == twice.cadre_id and r.start == twice.start
                    and r is not twice)


def county(size: str = "small", seed: int = 2026) -> County:
    """The generated site of ``size``, with the county's year and records (the same for the same seed)."""
    site = generate(size, seed, lab_anchors=False)
    rng = random.Random(f"showcase-{seed}-{size}")
    made = County(site)
    _ordinary_names(site)
    cadres = sorted((u for u in site.users.values() if u.idnumber and not u.deleted), key=lambda u: u.id)
    township = [u for u in cadres if u.profile.get("rank") != "county_leader"]
    leaders = [u for u in cadres if u.profile.get("rank") == "county_leader"]
    _leaders_in_county_offices(site, leaders)
    _unit_tree(site)
    available = [u for u in township if not u.suspended]
    rng.shuffle(available)
    joiners = _take(available, 0.03, 2)
    promoted = _take(available, 0.05, 3)
    excused = _take(available, 0.015, 4)
    site.profile_field_names.update({"joined": "Date joined", "promoted": "Date of last promotion"})
    for user in cadres:  # a career: joined in the years its rank suggests, promoted to it some years later
        first, last = JOINED.get(user.profile.get("rank") or "", JOINED["staff"])
        joined = _day(rng, date(first, 1, 1), date(last, 6, 30))
        user.profile["joined"] = joined.isoformat()
        if user.profile.get("rank") in ("county_leader", "section_chief", "deputy_section_chief"):
            user.profile["promoted"] = _day(rng, joined + timedelta(days=3 * 365), date(2024, 6, 30)).isoformat()
    for user in joiners:
        joined = _day(rng, date(YEAR, 4, 1), date(YEAR, 8, 31))
        user.profile["joined"] = joined.isoformat()
        user.profile.pop("promoted", None)  # new to the county: no promotion here yet
        _fresh_start(site, user, joined, rng)
    for index, user in enumerate(promoted):  # make-up owed: due past, due soon, due next year
        spans = [(date(2025, 6, 1), date(2025, 9, 30)), (date(2025, 12, 1), date(2025, 12, 20)),
                 (date(YEAR, 2, 1), date(YEAR, 5, 31))]
        user.profile["promoted"] = _day(rng, *spans[index % len(spans)]).isoformat()
    _required_learning(site, cadres, rng)
    made.exemptions = _exemptions(excused, rng)
    joined_this_year = {u.idnumber for u in joiners}
    short = {u.idnumber for u in _take(available, 0.06, 2)}
    made.previous_online = _previous_online(cadres, joined_this_year, short, rng)
    made.offline = _offline(township, leaders, joined_this_year, short, rng)
    made.entered_twice = _enter_twice(made.offline, {u.idnumber for u in available}, rng)
    return made


def rewound(site: Site, moment: int) -> Site:
    """The site as it was at ``moment`` (Unix seconds): enrolments made since gone, and what learners did since
    (activities, grades, completions) undone. The objects that did not change are shared with ``site``."""
    return replace(site, now=moment, revision=site.revision + 1,
                   enrolments={k: e for k, e in site.enrolments.items() if e.timecreated <= moment},
                   progress={k: _progress_at(p, moment) for k, p in site.progress.items()
                             if k in site.enrolments and site.enrolments[k].timecreated <= moment})


def _progress_at(progress: Progress, moment: int) -> Progress:
    record = progress.record
    times = [done.time for done in progress.activities.values()] + [progress.graded_at or 0]
    times += [record.timecompleted or 0, record.timestarted] if record else []
    times += list((progress.criteria or {}).values())
    if max(times, default=0) <= moment:
        return progress
    graded = progress.graded_at is not None and progress.graded_at <= moment
    return Progress({cmid: done for cmid, done in progress.activities.items() if done.time <= moment},
                    progress.grade if graded else None, progress.graded_at if graded else None,
                    progress.grade_created if graded else None,
                    None if record is None else CompletionRecord(
                        record.timeenrolled, record.timestarted if record.timestarted <= moment else 0,
                        record.timecompleted if (record.timecompleted or 0) <= moment else None, record.reaggregate),
                    None if progress.criteria is None else {
                        criterion: at for criterion, at in progress.criteria.items() if at <= moment})


def _leaders_in_county_offices(site: Site, leaders: list[User]) -> None:
    """County-level leaders work in the county's leadership (its party committee and government), a unit of its
    own, not in a town or a bureau."""
    number = max(site.cohorts) + 1
    name = "County Committee and Government"
    site.cohorts[number] = Cohort(number, name, f"UNIT-{number:03d}", f"All cadres of {name}")
    for user in leaders:
        site.move_user(user.id, number)


def _unit_tree(site: Site) -> None:
    """The county's units in a tree, as its Moodle administrator describes it (README, Preparing Moodle, step 4):
    the county above its leadership, its towns and its departments, each unit's cohort naming its parent's Cohort
    ID in the custom field ``parent_unit``. The towns and the departments are ranked each among their own, as the
    department's assessment does (乡镇, 县直单位)."""
    units = sorted(site.cohorts.values(), key=lambda c: c.id)
    number = max(site.cohorts)
    county, towns, departments = (Cohort(number + n, name, f"UNIT-{number + n:03d}", f"The units of {name}")
                                  for n, name in enumerate(("The County", "Towns", "County departments"), start=1))
    for group in (county, towns, departments):
        site.cohorts[group.id] = group
    towns.customfields["parent_unit"] = departments.customfields["parent_unit"] = county.idnumber
    for unit in units:
        parent = towns if "Town" in unit.name else departments if unit.name.startswith("County ") and (
            "Committee and Government" not in unit.name) else county
        unit.customfields["parent_unit"] = parent.idnumber


def _take(pool: list[User], share: float, least: int) -> list[User]:
    """The next ``share`` of a shuffled pool (at least ``least``), taken out of it: each case has its own cadres."""
    count = max(least, round(len(pool) * share))
    taken, pool[:] = pool[:count], pool[count:]
    return taken


def _ordinary_names(site: Site) -> None:
    """The generator's odd names (HTML in a name) test the sync; the demo's county is read by people."""
    for user in site.users.values():
        if "<" in user.lastname:
            user.lastname = "Li"
    for course in site.courses.values():
        if "<" in course.fullname:
            course.fullname = course.fullname.replace("<b>", "").replace("</b>", "").replace(" & Practice", "")


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _at(day: date, hour: int = 10) -> int:
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).timestamp())


def _moment(rng: random.Random, first: date, last: date) -> int:
    """A working-hours moment on a day between ``first`` and ``last``."""
    return _at(_day(rng, first, last), rng.randrange(8, 21)) + rng.randrange(3600)


def _course(site: Site, idnumber: str) -> Course:
    return next(c for c in site.courses.values() if c.idnumber == idnumber)


def _learn(site: Site, course: Course, user: User, enrolled: date, outcome: str, at: int = 0,
           grade: float | None = None) -> None:
    """``user`` enrolled in ``course`` on ``enrolled``, and where they stand now: ``done`` at ``at`` with
    ``grade``, ``partway`` (the first activity at ``at``) or ``not_started``."""
    enrolment = site.enrolments.get((course.id, user.id))
    if enrolment is None:
        enrolment = site.enrolments[(course.id, user.id)] = Enrolment(course.id, user.id)
    enrolment.status, enrolment.timestart, enrolment.timeend, enrolment.timecreated = 0, 0, 0, _at(enrolled, 9)
    site.progress[(course.id, user.id)] = Progress(record=CompletionRecord(enrolment.timecreated))
    if outcome == "done":
        site.complete(course.id, user.id, at, grade if course.pass_grade is not None else None)
    elif outcome == "partway":
        first = course.tracked_activities()[0]
        site.progress[(course.id, user.id)].activities[first.cmid] = ActivityCompletion(1, at)
        site.aggregate(course.id, user.id)


def _fresh_start(site: Site, user: User, joined: date, rng: random.Random) -> None:
    """A cadre who joined on ``joined``: their Moodle learning starts then (a few courses, some done)."""
    for key in [k for k in site.enrolments if k[1] == user.id]:
        del site.enrolments[key]
        site.progress.pop(key, None)
    today = datetime.fromtimestamp(site.now, ZONE).date()
    online = [c for c in sorted(site.courses.values(), key=lambda c: c.id)
              if c.enablecompletion and c.idnumber not in (REQUIRED_COURSE, SECOND_COURSE)
              and c.training_type == "online_course"]
    for course in rng.sample(online, min(len(online), rng.randrange(3, 6))):
        enrolled = joined + timedelta(days=rng.randrange(1, 10))
        done = rng.random() < 0.6
        _learn(site, course, user, enrolled, "done" if done else "partway",
               _moment(rng, enrolled + timedelta(days=3), today - timedelta(days=1)), float(rng.randrange(65, 101)))


def _required_learning(site: Site, cadres: list[User], rng: random.Random) -> None:
    """Every cadre in the required courses and one required book, each where a county's cadres would be by now."""
    required, second = _course(site, REQUIRED_COURSE), _course(site, SECOND_COURSE)
    required.pass_grade = MOODLE_PASS_MARK  # Moodle completes on its own pass mark; the rules ask more
    for activity in required.activities:
        activity.passgrade = False  # completion on any grade: a course can be complete and still below 60
    books = [c for c in sorted(site.courses.values(), key=lambda c: c.id) if c.training_type == "required_reading"]
    today = datetime.fromtimestamp(site.now, ZONE).date()
    for user in cadres:
        joined = date.fromisoformat(user.profile["joined"])
        start = max(date(YEAR, 1, 5), joined + timedelta(days=3))
        enrolled = start - timedelta(days=2)
        due = max(date(YEAR, 6, 28), start + timedelta(days=20))
        roll = rng.random()
        if roll < 0.905:  # in time
            _learn(site, required, user, enrolled, "done", _moment(rng, start + timedelta(days=14), due),
                   float(rng.randrange(62, 101)))
        elif roll < 0.935:  # after the due date: completed late
            _learn(site, required, user, enrolled, "done", _moment(rng, due + timedelta(days=10),
                                                                   today - timedelta(days=5)),
                   float(rng.randrange(62, 101)))
        elif roll < 0.95:  # complete in Moodle, below the department's pass grade
            _learn(site, required, user, enrolled, "done", _moment(rng, start + timedelta(days=14), due),
                   float(rng.randrange(int(MOODLE_PASS_MARK), 60)))
        else:  # never finished
            _learn(site, required, user, enrolled, "partway" if roll < 0.975 else "not_started",
                   _moment(rng, start, due))
        roll = rng.random()
        if roll < 0.93:
            _learn(site, second, user, enrolled, "done", _moment(rng, start + timedelta(days=30),
                                                                 today - timedelta(days=1)),
                   float(rng.randrange(65, 101)))
        else:
            _learn(site, second, user, enrolled, "partway" if roll < 0.965 else "not_started",
                   _moment(rng, start, today - timedelta(days=1)))
        read = [b for b in books if site.completion_time(b.id, user.id)]
        if not read:
            enrolled_books = [b for b in books if (b.id, user.id) in site.enrolments]
            book = enrolled_books[0] if enrolled_books else rng.choice(books)
            done = rng.random() < 0.85
            _learn(site, book, user, enrolled, "done" if done else "partway",
                   _moment(rng, start + timedelta(days=20), today - timedelta(days=1)), float(rng.randrange(70, 101)))


def _exemptions(excused: list[User], rng: random.Random) -> list[Excusal]:
    """The first third of ``excused`` (two at least) away most of the year (full: exempt), the others some months
    (pro-rated)."""
    full = max(2, len(excused) // 3)
    found = [Excusal(user.idnumber, reason, start, date(YEAR, 12, 31), "full") for user, (reason, start) in
             zip(excused[:full], itertools.cycle(FULL), strict=False)]
    for index, user in enumerate(excused[full:]):
        reason, days = PRO_RATED[index % len(PRO_RATED)]
        start = _day(rng, date(YEAR, 3, 1), date(YEAR, 5, 31))
        found.append(Excusal(user.idnumber, reason, start, start + timedelta(days=days - 1), "prorate"))
    return found


def _previous_online(cadres: list[User], joined_this_year: set[str], short: set[str],
                     rng: random.Random) -> dict[str, float]:
    """Last year's online hours: most did the year's online minimum and more; the ``short`` cadres did less and
    no offline training either, and owe the difference as make-up this year."""
    return {u.idnumber: float(rng.randrange(8, 26) if u.idnumber in short else rng.randrange(22, 41))
            for u in cadres if u.idnumber not in joined_this_year and not u.suspended}


class _References:
    """Certificate numbers, one series per organiser and year."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, int], int] = {}

    def next(self, prefix: str, year: int) -> str:
        count = self.counts[(prefix, year)] = self.counts.get((prefix, year), 0) + 1
        return f"{prefix}-{year}-{count:04d}"


def _offline(township: list[User], leaders: list[User], joined_this_year: set[str], short_last_year: set[str],
             rng: random.Random) -> list[OfflineTraining]:
    """The department's offline training: this year's for about half the township cadres and every leader;
    last year's for the township cadres but those ``short_last_year``; and the county leaders' years of their
    five-year window (some done early after a long course, most well on the way, a few far behind)."""
    rows: list[OfflineTraining] = []
    references = _References()

    def add(user: User, choice: tuple[str, str, str, str], start: date, days: int, leave: float = 0.0) -> None:
        title, organiser, kind, prefix = choice
        rows.append(OfflineTraining(user.idnumber, title, organiser, start, days, kind,
                                    references.next(prefix, start.year), leave))

    for user in township:  # last year: most did the spring course; a few, short of the year's hours, did not
        if user.idnumber not in joined_this_year and user.idnumber not in short_last_year:
            add(user, TOWNSHIP_TRAININGS[0], _day(rng, date(YEAR - 1, 3, 2), date(YEAR - 1, 4, 30)), 6)
    for user in township:
        if rng.random() < 0.7 and user.idnumber not in joined_this_year:
            leave = rng.choice([0.0] * 12 + [2.0, 12.0])  # 12 hours away from a short course: above the limit
            add(user, rng.choice(TOWNSHIP_TRAININGS), _day(rng, date(YEAR, 3, 2), date(YEAR, 10, 20)),
                rng.randrange(2, 6), leave)
    shuffled = rng.sample(leaders, len(leaders))
    long_course = {u.idnumber for u in _take(shuffled, 0.35, 1)}
    behind = {u.idnumber for u in _take(shuffled, 0.25, 1)}
    for user in leaders:
        if user.idnumber in long_course:  # two months full-time at the provincial party school: the window done early
            add(user, LONG_COURSE, _day(rng, date(YEAR - 2, 3, 1), date(YEAR - 2, 4, 15)), 42)
        for year in range(YEAR - 3, YEAR + 1):
            add(user, LEADER_TRAININGS[0], _day(rng, date(year, 3, 1), date(year, 5, 31)),
                rng.randrange(5, 8) if user.idnumber in behind else rng.randrange(9, 12))
            if user.idnumber not in behind:
                add(user, rng.choice(LEADER_TRAININGS[1:]), _day(rng, date(year, 9, 1), date(year, 10, 31)),
                    rng.randrange(4, 7))
    return rows


def _enter_twice(rows: list[OfflineTraining], ordinary: set[str], rng: random.Random) -> int:
    """One of this spring's rows of an ``ordinary`` cadre entered a second time under a mistyped certificate
    number (found, and withdrawn, months later); its index."""
    this_year = [r for r in rows if date(YEAR, 3, 1) <= r.start <= date(YEAR, 5, 31) and r.cadre_id in ordinary
                 and not r.leave_hours]
    original = rng.choice(this_year)
    digits = original.reference[-4:]
    rows.append(replace(original, reference=original.reference[:-4] + digits[:2] + digits[:1:-1]))
    if rows[-1].reference == original.reference:  # a palindrome of a number: mistype the last digit instead
        rows[-1] = replace(original, reference=original.reference[:-1] + str((int(digits[-1]) + 1) % 10))
    return len(rows) - 1
