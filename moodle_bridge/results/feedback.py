"""What trainees said in Moodle's Feedback activities (the mirror's ``mirror_feedback_*`` tables, issue 15): the
course evaluations (ratings and comments, per course and per provider) and the county's training needs (the topics
chosen, by unit and rank).

- **A course evaluation** is a Feedback activity with a rated question (``multichoicerated``) and no question
  labelled ``training_needs``. A rating is the weight of the option chosen (Moodle stores the option's position; its
  weight is in the question's options): the department's questionnaires weigh 1 (lowest) to 5 (highest). Questions
  are matched across a course's and a provider's questionnaires by their label (by their words when they have none).
  The provider is the course's Moodle category: courses have no organiser field.
- **A training-needs questionnaire** is a Feedback activity with a multiple-choice question labelled
  ``training_needs``: its options are the topics. Only a named response is placed: its user is looked up in an
  evaluation's results (the unit) and the mirror's profile (the rank, by the field the rules that judged it name).
  An anonymous response has no user in the mirror (the sync keeps none) and is never joined to anyone: it counts in
  the county's total and in the anonymous count only.

**Fewer than 3 answers are never shown** (``MIN_ANSWERS``): a course answered by one or two people gives neither its
ratings nor its comments, a rated question rated by one or two neither, and a unit's or rank's row of one or two
responses no counts (each says so: ``withheld``), so nobody's answers can be read off. A provider takes together only
the figures its courses show; when the rows withheld in the units' (or ranks') table hold one or two responses
together, the smallest shown row is withheld too, so that the table's rows cannot be taken from one another to
find them. The county's total is always shown.

Comments come without who wrote them, in alphabetical order (not in the order given, which could tell who). Only
what Moodle still holds counts (a response or a question deleted there is gone here); a course gone from Moodle is
left out. Answers are typed, with no labels.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from ..rules.model import Rules
from ..store.batches import where_in
from ..store.held import held_in
from ..store.schema import (
    evaluation_results,
    mirror_categories,
    mirror_courses,
    mirror_feedback_answers,
    mirror_feedback_items,
    mirror_feedback_responses,
    mirror_feedbacks,
    mirror_users,
)
from .answers import Evaluation
from .evaluations import last_sync, latest
from .judged_rules import judged_rules

RATINGS = (1, 2, 3, 4, 5)  # the scale a distribution counts
RATED = "multichoicerated"
CHOICE = "multichoice"
TEXT = frozenset({"textarea", "textfield"})
NEEDS_LABEL = "training_needs"  # the label of the training-needs question (README: Preparing Moodle)
MEAN_PLACES = 2  # a mean is rounded once, here
MIN_ANSWERS = 3  # fewer answers than this behind a figure: not shown


@dataclass(frozen=True)
class Ratings:
    """One rated question's answers: how many, their mean (None: none), how many rated 1 to 5 (``distribution``,
    in the order of ``RATINGS``), and how many chose an option weighted otherwise (counted in the mean).
    ``withheld``: rated by fewer than ``MIN_ANSWERS`` (or its course answered by so few): none of it is given."""

    question: str  # the question's words, as the (first) questionnaire asks it
    label: str  # its label in Moodle ("teaching"); "" when it has none
    count: int
    mean: float | None
    distribution: tuple[int, ...]
    off_scale: int = 0
    withheld: bool = False


@dataclass(frozen=True)
class CourseRatings:
    """A course with a course-evaluation questionnaire: its responses (``anonymous`` of them given anonymously),
    each rated question's ratings and the comments written. ``withheld``: answered by fewer than ``MIN_ANSWERS``:
    its questions' ratings are withheld and its comments not given."""

    course_id: int
    course: str  # the course's full name
    short_name: str
    provider: str  # the course's Moodle category ("" when the mirror does not hold it)
    responses: int
    anonymous: int
    questions: list[Ratings]
    comments: list[str]
    withheld: bool = False


@dataclass(frozen=True)
class ProviderRatings:
    """A provider's courses taken together: each rated question's ratings over the ratings its courses show (a
    course's or question's figures withheld are not taken in either); ``withheld``: how many of its courses were
    answered by too few to show any."""

    provider: str
    courses: int
    responses: int
    questions: list[Ratings]
    withheld: int = 0


@dataclass(frozen=True)
class CourseEvaluations:
    """Every course evaluated (by provider, then course name) and every provider (by name); when the mirror was
    last synced."""

    courses: list[CourseRatings]
    providers: list[ProviderRatings]
    synced: datetime | None


@dataclass(frozen=True)
class TopicCounts:
    """A set of responses (a unit's, a rank's, the county's): how many, and each topic's count of times chosen.
    ``withheld``: too few to show (see ``MIN_ANSWERS``): no counts are given."""

    key: str  # the unit's code or the rank's value as Moodle holds it ("" when the cadre has no rank)
    name: str  # the unit's name (a rank: its value; the rules' labels name it)
    responses: int
    counts: dict[str, int] = field(default_factory=dict)
    withheld: bool = False


@dataclass(frozen=True)
class TrainingNeeds:
    """The county's training needs: the topics (in the questionnaires' order), the county's total over every
    response (named and anonymous), the named responses placed by unit and by rank in ``evaluation`` (the rules that
    judged it, for the ranks' labels), how many were anonymous (never placed) and how many named ones are of nobody
    in the evaluation; the comments written."""

    evaluation: Evaluation
    rules: Rules | None
    topics: list[str]
    total: TopicCounts
    named: int
    anonymous: int
    unplaced: int
    by_unit: list[TopicCounts]
    by_rank: list[TopicCounts]
    comments: list[str]
    synced: datetime | None


# --- reading the mirror ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    id: int
    feedback_id: int
    position: int
    typ: str
    name: str
    label: str
    choices: list[Any]

    @property
    def key(self) -> str:
        """What matches a question across questionnaires: its label, else its words."""
        return self.label.strip().casefold() or self.name.strip()

    def weight(self, value: str) -> float | None:
        """A rated question's answer (an option's position) as the option's weight; None: no weight."""
        for index, weight, _text in self.choices:
            if str(index) == value.strip():
                return None if weight is None else float(weight)
        return None

    def chosen(self, value: str) -> list[str]:
        """A multiple choice's answer (positions joined by ``|``) as the options' texts."""
        texts = {str(index): str(text) for index, _weight, text in self.choices}
        return [texts[p.strip()] for p in value.split("|") if p.strip() in texts]


@dataclass(frozen=True)
class _Response:
    key: str  # the mirror's key: an anonymous response's tells nothing of Moodle's id
    feedback_id: int
    course_id: int
    anonymous: bool
    user_id: int | None


def _is_needs(item: _Item) -> bool:
    return item.typ == CHOICE and item.label.strip().casefold() == NEEDS_LABEL


def _items(connection: Connection) -> dict[int, list[_Item]]:
    """The questions of every live feedback, by feedback, in position order."""
    found: dict[int, list[_Item]] = defaultdict(list)
    for row in connection.execute(
            select(mirror_feedback_items)
            .join(mirror_feedbacks, mirror_feedbacks.c.id == mirror_feedback_items.c.feedback_id)
            .where(mirror_feedback_items.c.gone_at.is_(None), mirror_feedbacks.c.gone_at.is_(None))
            .order_by(mirror_feedback_items.c.feedback_id, mirror_feedback_items.c.position,
                      mirror_feedback_items.c.id)):
        found[row.feedback_id].append(_Item(row.id, row.feedback_id, row.position, row.typ, row.name, row.label,
                                            list(row.choices or [])))
    return found


def _responses(connection: Connection, feedback_ids: Iterable[int]) -> tuple[list[_Response],
                                                                              dict[str, dict[int, str]]]:
    """The live responses to those feedbacks (by key) and each one's answers (item id -> the stored value)."""
    responses: list[_Response] = []
    answers: dict[str, dict[int, str]] = defaultdict(dict)
    wanted = sorted(set(feedback_ids))
    for only in where_in(mirror_feedback_responses.c.feedback_id, wanted):
        responses += [_Response(r.key, r.feedback_id, r.course_id, bool(r.anonymous), r.user_id)
                      for r in connection.execute(select(mirror_feedback_responses).where(
                          *only, mirror_feedback_responses.c.gone_at.is_(None))
                          .order_by(mirror_feedback_responses.c.key))]
    for only in where_in(mirror_feedback_answers.c.feedback_id, wanted):
        for row in connection.execute(select(mirror_feedback_answers).where(
                *only, mirror_feedback_answers.c.gone_at.is_(None))):
            if row.value is not None:
                answers[row.response_key][row.item_id] = row.value
    return responses, answers


def _comments(texts: Iterable[str]) -> list[str]:
    """The comments written (blank ones left out), alphabetically: the order they came in could tell who."""
    return sorted((t.strip() for t in texts if t and t.strip()), key=lambda t: (t.casefold(), t))


# --- course evaluations ---------------------------------------------------------------------------------------------


def ratings(question: str, label: str, given: Iterable[float]) -> Ratings:
    """The count, mean (rounded once, to ``MEAN_PLACES``) and distribution over ``RATINGS`` of some ratings."""
    values = list(given)
    on_scale = Counter(int(v) for v in values if v.is_integer() and int(v) in RATINGS)
    return Ratings(question=question, label=label, count=len(values),
                   mean=round(sum(values) / len(values), MEAN_PLACES) if values else None,
                   distribution=tuple(on_scale[r] for r in RATINGS),
                   off_scale=len(values) - sum(on_scale.values()))


def too_few(count: int) -> bool:
    """Some answers, but fewer than ``MIN_ANSWERS``: what they say is not shown."""
    return 0 < count < MIN_ANSWERS


def withheld(rated: Ratings) -> Ratings:
    """A question's ratings with nothing of them given."""
    return Ratings(question=rated.question, label=rated.label, count=0, mean=None,
                   distribution=tuple(0 for _r in RATINGS), withheld=True)


def _questions(order: Mapping[str, _Item], given: Mapping[str, list[float]], hide: bool = False) -> list[Ratings]:
    """Each question's ratings; withheld when rated by too few, or all when ``hide`` (a course answered by too
    few)."""
    found = [ratings(item.name, item.label.strip(), given.get(key, [])) for key, item in order.items()]
    return [withheld(r) if hide or too_few(r.count) else r for r in found]


def course_evaluations(connection: Connection) -> CourseEvaluations:
    """Each course with a course-evaluation questionnaire, and each provider (the courses' Moodle categories): the
    ratings of every rated question (a course without a response lists its questions with none) and the comments."""
    items = {fid: found for fid, found in _items(connection).items()
             if any(i.typ == RATED for i in found) and not any(_is_needs(i) for i in found)}
    feedbacks = {r.id: r.course_id for r in connection.execute(
        select(mirror_feedbacks.c.id, mirror_feedbacks.c.course_id).where(mirror_feedbacks.c.id.in_(list(items))))
    } if items else {}
    courses = {r.id: r for r in connection.execute(
        select(mirror_courses.c.id, mirror_courses.c.fullname, mirror_courses.c.shortname,
               mirror_categories.c.name.label("provider"))
        .join(mirror_categories, mirror_categories.c.id == mirror_courses.c.categoryid, isouter=True)
        .where(mirror_courses.c.gone_at.is_(None), mirror_courses.c.id.in_(sorted(set(feedbacks.values())))))
    } if feedbacks else {}
    feedbacks = {fid: course for fid, course in feedbacks.items() if course in courses}  # a course gone: left out
    responses, answers = _responses(connection, feedbacks)
    by_id = {i.id: i for fid in feedbacks for i in items[fid]}
    # the questions in the order first asked (by course, then provider); the ratings and texts given to each
    course_order: dict[int, dict[str, _Item]] = defaultdict(dict)
    for fid in sorted(feedbacks):
        for item in items[fid]:
            if item.typ == RATED:
                course_order[feedbacks[fid]].setdefault(item.key, item)
    given: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    texts: dict[int, list[str]] = defaultdict(list)
    counted: Counter[int] = Counter()
    anonymous: Counter[int] = Counter()
    for response in responses:
        course = feedbacks[response.feedback_id]
        counted[course] += 1
        anonymous[course] += response.anonymous
        for item_id, value in answers.get(response.key, {}).items():
            asked = by_id.get(item_id)
            if asked is None:
                continue
            if asked.typ == RATED and (weight := asked.weight(value)) is not None:
                given[course][asked.key].append(weight)
            elif asked.typ in TEXT:
                texts[course].append(value)
    provider_of = {cid: str(c.provider or "") for cid, c in courses.items()}
    found = sorted((CourseRatings(course_id=cid, course=c.fullname, short_name=c.shortname,
                                  provider=provider_of[cid], responses=counted[cid], anonymous=anonymous[cid],
                                  questions=_questions(course_order[cid], given[cid], hide=too_few(counted[cid])),
                                  comments=[] if too_few(counted[cid]) else _comments(texts[cid]),
                                  withheld=too_few(counted[cid]))
                    for cid, c in courses.items() if cid in course_order),
                   key=lambda c: (c.provider.casefold(), c.course.casefold(), c.course_id))
    providers: list[ProviderRatings] = []
    for provider in sorted({c.provider for c in found}, key=lambda p: (p.casefold(), p)):
        own = [c for c in found if c.provider == provider]
        order: dict[str, _Item] = {}
        pooled: dict[str, list[float]] = defaultdict(list)
        for course in own:
            shown = {key: not q.withheld for key, q in zip(course_order[course.course_id], course.questions,
                                                           strict=True)}
            for key, item in course_order[course.course_id].items():
                order.setdefault(key, item)
                if shown.get(key, False):  # a figure withheld is not taken in: the others would give it away
                    pooled[key] += given[course.course_id].get(key, [])
        providers.append(ProviderRatings(provider=provider, courses=len(own), responses=sum(c.responses for c in own),
                                         questions=_questions(order, pooled),
                                         withheld=sum(1 for c in own if c.withheld)))
    return CourseEvaluations(courses=found, providers=providers, synced=last_sync(connection))


# --- training needs -------------------------------------------------------------------------------------------------


def _tally(key: str, name: str, chosen: list[list[str]], topics: list[str]) -> TopicCounts:
    counts = Counter(topic for picked in chosen for topic in picked)
    return TopicCounts(key=key, name=name, responses=len(chosen), counts={t: counts[t] for t in topics})


def suppressed(rows: list[TopicCounts]) -> list[TopicCounts]:
    """A table's rows (in order) with the counts of those of too few responses withheld; and, while the rows withheld
    hold one or two responses together, the smallest row shown too (the table's rows cannot then be taken from one
    another, or from the other table's, to find one or two people's answers)."""
    hidden = {i for i, r in enumerate(rows) if too_few(r.responses)}
    while too_few(sum(rows[i].responses for i in hidden)):
        shown = [i for i, r in enumerate(rows) if i not in hidden and r.responses]
        if not shown:
            break
        hidden.add(min(shown, key=lambda i: (rows[i].responses, i)))
    return [TopicCounts(key=r.key, name=r.name, responses=r.responses, withheld=True) if i in hidden else r
            for i, r in enumerate(rows)]


def _rank_order(rules: Rules | None, ranks: Iterable[str]) -> list[str]:
    """The ranks in the order the rules' labels name them, then the others by value; no rank ("") last."""
    named = list(rules.labels.rank) if rules else []
    present = set(ranks)
    return ([r for r in named if r in present] + sorted(present - set(named) - {""})
            + ([""] if "" in present else []))


def training_needs(connection: Connection, period: str | None = None) -> TrainingNeeds:
    """The topics chosen in every training-needs questionnaire the mirror holds, for the county, and by unit and by
    rank for the named responses of cadres in the latest evaluation (of a period). Raises NoEvaluation."""
    current = latest(connection, period)
    rules = judged_rules(connection, current.rules_hash)
    items = {fid: found for fid, found in _items(connection).items() if any(_is_needs(i) for i in found)}
    responses, answers = _responses(connection, items)
    by_id = {i.id: i for found in items.values() for i in found}
    topics: list[str] = []
    for fid in sorted(items):
        for item in items[fid]:
            if _is_needs(item):
                topics += [str(text) for _index, _weight, text in item.choices if str(text) not in topics]
    chosen: dict[str, list[str]] = {}
    texts: list[str] = []
    for response in responses:
        picked: list[str] = []
        for item_id, value in answers.get(response.key, {}).items():
            asked = by_id.get(item_id)
            if asked is not None and _is_needs(asked):
                picked += asked.chosen(value)
            elif asked is not None and asked.typ in TEXT:
                texts.append(value)
        chosen[response.key] = picked
    # Named responses only: an anonymous one has no user, and is never looked for.
    named = [r for r in responses if not r.anonymous and r.user_id is not None]
    users = {r.user_id for r in named if r.user_id is not None}
    placed: dict[int, tuple[str, str]] = {}  # user id -> (unit code, unit name)
    for only in where_in(evaluation_results.c.user_id, users):
        for row in connection.execute(select(evaluation_results.c.user_id, evaluation_results.c.unit_code,
                                             evaluation_results.c.unit_name)
                                      .where(held_in(evaluation_results, current.id), *only)
                                      .order_by(evaluation_results.c.cadre_id)):
            placed.setdefault(row.user_id, (row.unit_code, row.unit_name))
    rank_field = rules.cadres.rank_field if rules else "rank"
    ranks: dict[int, str] = {}
    for only in where_in(mirror_users.c.id, set(placed)):
        for user in connection.execute(select(mirror_users.c.id, mirror_users.c.profile).where(*only)):
            rank = (user.profile or {}).get(rank_field)
            ranks[user.id] = str(rank) if rank not in (None, "") else ""
    units: dict[str, tuple[str, list[list[str]]]] = {}
    by_rank: dict[str, list[list[str]]] = defaultdict(list)
    for response in named:
        if response.user_id not in placed:
            continue
        code, name = placed[response.user_id]
        units.setdefault(code, (name, []))[1].append(chosen[response.key])
        by_rank[ranks.get(response.user_id, "")].append(chosen[response.key])
    return TrainingNeeds(
        evaluation=current, rules=rules, topics=topics,
        total=_tally("", "", [chosen[r.key] for r in responses], topics),
        named=len(named), anonymous=sum(r.anonymous for r in responses),
        unplaced=sum(1 for r in named if r.user_id not in placed),
        by_unit=suppressed([_tally(code, name, picked, topics) for code, (name, picked) in
                            sorted(units.items(), key=lambda u: (u[1][0].casefold(), u[0]))]),
        by_rank=suppressed([_tally(rank, rank, by_rank[rank], topics) for rank in _rank_order(rules, by_rank)]),
        comments=_comments(texts), synced=last_sync(connection))
