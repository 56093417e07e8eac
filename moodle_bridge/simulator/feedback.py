"""Moodle's Feedback module in the simulated site: the activities, their questions and responses, and the three
functions a teacher or manager reads them with, answered as mod/feedback/classes/external.php does (Moodle 3.3 to 5.1;
no lab recording: tests/fixtures/moodle_source/SOURCE.md says what was read).

- ``mod_feedback_get_feedbacks_by_courses``: the feedbacks of the courses asked for (none asked: the caller's own
  courses, and the integration user has none); a course that does not exist is a warning. Without
  mod/feedback:edititems (the integration user's role does not need it) the optional keys (times, e-mail
  notification, the page after submitting) are left out.
- ``mod_feedback_get_items``: every item, in position order (page breaks and labels too).
- ``mod_feedback_get_responses_analysis``: named responses (``attempts``, by last name, with the user) and anonymous
  ones (``anonattempts``, by their shuffled number, without any user), each paged by ``page``/``perpage`` (0: all),
  with each list's total. Each response lists the items with a value, in position order, ``rawval`` as stored.

A response given after the site's clock (``site.now``) is not there yet: a site rewound to a past day
(``showcase.rewound``) has only the responses given by then.

The generated site (``add_feedbacks``, from ``generator.generate``) holds a course-evaluation questionnaire in every
second online course (ratings 1 to 5 of the teaching, the content and the use for one's work, and a comment; every
third of them anonymous), answered by about three in four of those who completed the course, and two training-needs
questionnaires (the topics wanted next year and a comment): a named one in the course most cadres take and an
anonymous one in another.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any, cast

from .data import SITE_COURSE_ID, Site
from .protocol import Args, Context, JsonObject, SimError, handler

ANONYMOUS_YES, ANONYMOUS_NO = 1, 2
FIRST_CMID, FIRST_FEEDBACK, FIRST_ITEM, FIRST_COMPLETED = 60_000, 500, 5_000, 700_000
RATING = "r>>>>>5####Excellent|4####Good|3####Fair|2####Poor|1####Very poor"
TOPICS = ["Political theory", "Party history", "Law-based administration", "Rural revitalisation",
          "Emergency management", "Digital government", "Public speaking and writing", "Mental health at work"]
NEEDS_LABEL = "training_needs"  # the label the README asks for on the training-needs question
COMMENTS = ["Clear and practical, thank you.", "More case studies from our county, please.",
            "The videos were too long.", "Very useful for my daily work.", "The test questions were unclear.",
            "I would like a follow-up session.", "Good teacher, well prepared.", ""]
NEEDS_COMMENTS = ["Training on handling petitions.", "More offline classes in the township.",
                  "Courses I can take on my phone.", "", "Data analysis for village affairs."]


@dataclass
class Item:
    id: int
    typ: str  # multichoicerated, multichoice, textarea, pagebreak, label...
    name: str
    label: str
    presentation: str
    position: int
    hasvalue: int = 1
    required: bool = True


@dataclass
class Response:
    id: int
    userid: int  # Moodle keeps the user of an anonymous response too; it never leaves the simulated site
    courseid: int
    anonymous: bool  # feedback_completed.anonymous_response
    time: int
    values: dict[int, str] = field(default_factory=dict)  # item id -> the stored value


@dataclass
class FeedbackActivity:
    id: int
    course: int
    cmid: int
    name: str
    anonymous: int  # 1 anonymous, 2 with the user's name
    items: list[Item] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    timeopen: int = 0
    timeclose: int = 0
    timemodified: int = 0


def feedbacks_of(site: Site) -> dict[int, FeedbackActivity]:
    """The site's Feedback activities by instance id (kept beside the site's own data, this module's concern)."""
    return cast(dict[int, FeedbackActivity], vars(site).setdefault("feedbacks", {}))


# --- the site's questionnaires --------------------------------------------------------------------------------


def _evaluation_items(next_item: int) -> list[Item]:
    return [Item(next_item, "multichoicerated", "Quality of the teaching", "teaching", RATING, 1),
            Item(next_item + 1, "multichoicerated", "Quality of the course content", "content", RATING, 2),
            Item(next_item + 2, "multichoicerated", "Use of the course for my work", "usefulness", RATING, 3),
            Item(next_item + 3, "textarea", "Comments on the course", "comment", "60|5", 4, required=False)]


def _needs_items(next_item: int) -> list[Item]:
    return [Item(next_item, "multichoice", "Topics I want training in next year", NEEDS_LABEL,
                 "c>>>>>" + "|".join(TOPICS), 1),
            Item(next_item + 1, "pagebreak", "", "", "", 2, hasvalue=0, required=False),
            Item(next_item + 2, "textarea", "Other training needs", "comment", "60|5", 3, required=False)]


def _rating(rng: random.Random, quality: float) -> str:
    """A rating's position (1 Excellent .. 5 Very poor) around the course's quality (1 to 5)."""
    score = max(1, min(5, round(rng.gauss(quality, 0.8))))
    return str(6 - score)


def add_feedbacks(site: Site, seed: int, size: str) -> None:
    """The generated site's Feedback activities (see the module's text); a province's site has none (its size)."""
    if size == "province":
        return
    rng = random.Random(f"feedback-{seed}-{size}")
    feedbacks = feedbacks_of(site)
    ids = {"feedback": FIRST_FEEDBACK, "cmid": FIRST_CMID, "item": FIRST_ITEM, "completed": FIRST_COMPLETED}

    def new(kind: str) -> int:
        ids[kind] += 1
        return ids[kind]

    def add(course: int, name: str, anonymous: bool, items: list[Item]) -> FeedbackActivity:
        made = FeedbackActivity(new("feedback"), course, new("cmid"), name, ANONYMOUS_YES if anonymous else
                                ANONYMOUS_NO, items, timeopen=site.courses[course].startdate,
                                timemodified=site.courses[course].startdate)
        feedbacks[made.id] = made
        return made

    online = [c for c in sorted(site.courses.values(), key=lambda c: c.id) if c.training_type == "online_course"]
    for n, course in enumerate(online[::2]):
        items = _evaluation_items(ids["item"] + 1)
        ids["item"] += len(items)
        made = add(course.id, "Course evaluation", n % 3 == 2, items)
        quality = rng.uniform(2.6, 4.8)
        for enrolment in site.course_enrolments(course.id):
            done = site.completion_time(course.id, enrolment.userid)
            if done is None or enrolment.role != "student" or rng.random() > 0.75:
                continue
            values = {items[0].id: _rating(rng, quality), items[1].id: _rating(rng, quality - 0.3),
                      items[2].id: _rating(rng, quality + 0.2)}
            comment = rng.choice(COMMENTS) if rng.random() < 0.4 else ""
            if comment:
                values[items[3].id] = comment
            made.responses.append(Response(new("completed"), enrolment.userid, course.id, made.anonymous ==
                                           ANONYMOUS_YES, min(site.now, done + rng.randint(3600, 5 * 86400)), values))
    by_size = sorted(online, key=lambda c: (-len(site.course_enrolments(c.id)), c.id))
    for course, anonymous, share in ((by_size[0], False, 0.6), (by_size[1], True, 0.5)):
        items = _needs_items(ids["item"] + 1)
        ids["item"] += len(items)
        made = add(course.id, "Training needs for next year", anonymous, items)
        for enrolment in site.course_enrolments(course.id):
            user = site.users.get(enrolment.userid)
            if user is None or not user.idnumber or enrolment.role != "student" or rng.random() > share:
                continue
            wanted = sorted(rng.sample(range(1, len(TOPICS) + 1), rng.randint(1, 3)))
            values = {items[0].id: "|".join(str(w) for w in wanted)}
            comment = rng.choice(NEEDS_COMMENTS) if rng.random() < 0.3 else ""
            if comment:
                values[items[2].id] = comment
            made.responses.append(Response(new("completed"), enrolment.userid, course.id, anonymous,
                                           site.now - rng.randint(86400, 40 * 86400), values))


# --- the web-service functions ----------------------------------------------------------------------------------


def _feedback(ctx: Context, feedback_id: int) -> FeedbackActivity:
    found = feedbacks_of(ctx.site).get(feedback_id)
    if found is None or (found.course not in ctx.site.courses and found.course != SITE_COURSE_ID):
        raise SimError("invalidrecord", "Can't find data record in database table feedback.",
                       "dml_missing_record_exception")
    return found


def _summary(feedback: FeedbackActivity, can_edit: bool) -> JsonObject:
    """feedback_summary_exporter, keys in the declared order; optional ones only for an editor."""
    answer: JsonObject = {"id": feedback.id, "course": feedback.course, "name": feedback.name, "intro": "",
                          "introformat": 1, "anonymous": feedback.anonymous}
    if can_edit:
        answer["email_notification"] = False
    answer |= {"multiple_submit": False, "autonumbering": True}
    if can_edit:
        answer |= {"site_after_submit": "", "page_after_submit": ""}
    answer |= {"page_after_submitformat": 1, "publish_stats": False}
    if can_edit:
        answer |= {"timeopen": feedback.timeopen, "timeclose": feedback.timeclose,
                   "timemodified": feedback.timemodified}
    return answer | {"completionsubmit": True, "coursemodule": feedback.cmid, "introfiles": []}


@handler("mod_feedback_get_feedbacks_by_courses")
def get_feedbacks_by_courses(ctx: Context, args: Args) -> JsonObject:
    """Course ids the caller cannot see are warnings (util::validate_courses); the caller is not enrolled anywhere,
    so no ids means no feedbacks (enrol_get_my_courses)."""
    warnings, feedbacks = [], []
    wanted = list(dict.fromkeys(args.get("courseids") or []))
    for course_id in wanted:
        if course_id not in ctx.site.courses or not ctx.caller.capable:
            warnings.append({"item": "course", "itemid": course_id, "warningcode": "1",
                             "message": "No access rights in course context"})
    seen = {c for c in wanted if c in ctx.site.courses and ctx.caller.capable}
    for feedback in sorted(feedbacks_of(ctx.site).values(), key=lambda f: (f.course, f.id)):
        if feedback.course in seen:
            feedbacks.append(_summary(feedback, can_edit=False))
    return {"feedbacks": feedbacks, "warnings": warnings}


def _item(feedback: FeedbackActivity, item: Item, number: int | None) -> JsonObject:
    return {"id": item.id, "feedback": feedback.id, "template": 0, "name": item.name, "label": item.label,
            "presentation": item.presentation, "typ": item.typ, "hasvalue": item.hasvalue, "position": item.position,
            "required": item.required, "dependitem": 0, "dependvalue": "", "options": "", "itemfiles": [],
            "itemnumber": number, "otherdata": ""}


@handler("mod_feedback_get_items")
def get_items(ctx: Context, args: Args) -> JsonObject:
    """Items for a user who may view the reports (mod/feedback:viewreports), in position order, numbered (items with
    a value are; autonumbering) from 1."""
    feedback = _feedback(ctx, args["feedbackid"])
    if not ctx.caller.capable:
        return {"items": [], "warnings": [{"item": str(feedback.id), "warningcode": "nopermission",
                                           "message": "nopermission"}]}
    items, number = [], 0
    for item in sorted(feedback.items, key=lambda i: i.position):
        if item.hasvalue:
            number += 1
        items.append(_item(feedback, item, number if item.hasvalue else None))
    return {"items": items, "warnings": []}


def shorten(text: str, ideal: int = 30) -> str:
    """Moodle's shorten_text for plain text: cut at a space before ``ideal`` characters, "..." after."""
    if len(text) <= ideal:
        return text
    cut = text[:ideal]
    space = cut.rfind(" ")
    return (cut[:space] if space > 0 else cut) + "..."


def _printval(item: Item, value: str | None) -> str:
    if value is None:
        return ""
    if item.typ in ("multichoice", "multichoicerated"):
        lines = item.presentation.split(">>>>>", 1)[-1].split("<<<<<", 1)[0].split("|")
        texts = [line.split("####", 1)[-1] for line in lines]
        chosen = [texts[int(v) - 1] for v in value.split("|") if v.isdigit() and 0 < int(v) <= len(texts)]
        return "\n".join(chosen)
    return value


def _values(feedback: FeedbackActivity, response: Response) -> list[JsonObject]:
    answers = []
    for item in sorted(feedback.items, key=lambda i: i.position):
        if not item.hasvalue:
            continue
        header = shorten(item.name)
        if item.label:
            header = f"({item.label}) {header}"
        value = response.values.get(item.id)
        answers.append({"id": item.id, "name": header, "printval": _printval(item, value), "rawval": value})
    return answers


def _number(response: Response) -> int:
    """A stable stand-in for Moodle's shuffled random_response."""
    return int(hashlib.sha256(str(response.id).encode()).hexdigest()[:8], 16)


def _page(rows: list[Any], page: int, perpage: int) -> list[Any]:
    return rows if perpage <= 0 else rows[page * perpage:(page + 1) * perpage]


@handler("mod_feedback_get_responses_analysis")
def get_responses_analysis(ctx: Context, args: Args) -> JsonObject:
    """Named responses by last name with their user; anonymous ones by their (shuffled) number, without a user."""
    feedback = _feedback(ctx, args["feedbackid"])
    if not ctx.caller.capable:
        raise SimError("nopermissions", "Sorry, but you do not currently have permissions to do that (View the "
                       "responses).", "core\\exception\\required_capability_exception")
    given = [r for r in feedback.responses if r.time <= ctx.site.now]
    users = ctx.site.users
    named = sorted((r for r in given if not r.anonymous and r.userid in users and not users[r.userid].deleted),
                   key=lambda r: (users[r.userid].lastname, users[r.userid].firstname, r.id))
    anonymous = sorted((r for r in given if r.anonymous), key=_number)
    page, perpage = args.get("page", 0), args.get("perpage", 0)
    attempts = [{"id": r.id, "courseid": r.courseid, "userid": r.userid, "timemodified": r.time,
                 "fullname": users[r.userid].fullname, "responses": _values(feedback, r)}
                for r in _page(named, page, perpage)]
    numbers = {r.id: n for n, r in enumerate(anonymous, start=1)}
    anonattempts = [{"id": r.id, "courseid": r.courseid, "number": numbers[r.id], "responses": _values(feedback, r)}
                    for r in _page(anonymous, page, perpage)]
    return {"attempts": attempts, "totalattempts": len(named), "anonattempts": anonattempts,
            "totalanonattempts": len(anonymous), "warnings": []}
