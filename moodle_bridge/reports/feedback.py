"""The course evaluation (课程评估) and the training needs (培训需求) from Moodle's Feedback activities, as tables (CSV,
Excel) and as HTML with their pictures; the data from `results.feedback`.

- **Course evaluation**: each provider (the courses' Moodle category) with its courses' ratings taken together, then
  each of its courses: per rated question the ratings given, their mean and how many rated 1 to 5 (a bar of them),
  and the comments, without who wrote them.
- **Training needs**: the topics chosen in the county (every response, a bar each), then by unit and by rank (named
  responses of cadres in the evaluation only; ranks by the rules' labels), with how many answered anonymously and
  so are in the county's figures only.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from jinja2 import Environment

from ..i18n import _, local_time
from ..results.feedback import (
    MIN_ANSWERS,
    RATINGS,
    CourseEvaluations,
    CourseRatings,
    Ratings,
    TopicCounts,
    TrainingNeeds,
)
from .cells import NO_FIGURE, Shown, number_cell
from .export import Sheet
from .names import value_label

# The rating's colours, 1 (lowest) to 5 (highest): red to green, each lighter or darker than its neighbours so that a
# greyscale print still tells them apart; the text colour on each.
RATING_COLOURS = {1: ("#b71c1c", "#ffffff"), 2: ("#ef9a9a", "#000000"), 3: ("#eeeeee", "#000000"),
                  4: ("#81c784", "#000000"), 5: ("#1b5e20", "#ffffff")}
FONT = 'font-family="Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif" font-size="11"'


def evaluation_title() -> str:
    return _("Course evaluation")


def needs_title() -> str:
    return _("Training needs")


def _synced(moment: datetime | None) -> str:
    """The line under a title: what the figures are as of, and when the report was made."""
    return _("Moodle's Feedback answers as of the last sync ({synced}); generated {now}").format(
        synced=local_time(moment, empty=_("never")), now=local_time(datetime.now(UTC)))


def mean_cell(mean: float | None) -> Shown:
    """A mean rating with two places (as the read model rounded it); "-" when nobody rated."""
    return Shown(None, NO_FIGURE, "0.00") if mean is None else number_cell(mean, 2)


def rating_headers() -> list[str]:
    return [_("Ratings"), _("Mean (1 to 5)"), *(_("Rated {rating}").format(rating=r) for r in RATINGS)]


def too_few() -> str:
    """What stands in a figure's place when fewer than 3 answers are behind it (results.feedback.MIN_ANSWERS)."""
    return _("fewer than {count} answers").format(count=MIN_ANSWERS)


def rating_cells(rated: Ratings) -> list[Any]:
    if rated.withheld:
        return [too_few(), *("" for _cell in range(len(RATINGS) + 1))]
    return [rated.count, mean_cell(rated.mean), *rated.distribution]


def question_name(rated: Ratings) -> str:
    return rated.question or rated.label or "-"


# --- the course evaluation ------------------------------------------------------------------------------------------


def _caption(title: str, synced: datetime | None) -> str:
    return _("{title} (Moodle's answers as of {synced})").format(title=title,
                                                               synced=local_time(synced, empty=_("never")))


def provider_sheet(data: CourseEvaluations) -> Sheet:
    rows = [[p.provider or "-", p.courses, p.responses, question_name(q), *rating_cells(q)]
            for p in data.providers for q in p.questions]
    return Sheet(_("Providers"), [_("Provider (course category)"), _("Courses"), _("Responses"), _("Question"),
                                  *rating_headers()], rows, caption=_caption(evaluation_title(), data.synced))


def course_sheet(data: CourseEvaluations) -> Sheet:
    rows = [[c.provider or "-", c.course, c.short_name, c.responses, c.anonymous, question_name(q), *rating_cells(q)]
            for c in data.courses for q in c.questions]
    return Sheet(_("Courses"), [_("Provider (course category)"), _("Course"), _("Short name"), _("Responses"),
                                _("Of them anonymous"), _("Question"), *rating_headers()], rows,
                 caption=_caption(evaluation_title(), data.synced))


def comment_sheet(data: CourseEvaluations) -> Sheet:
    rows = [[c.provider or "-", c.course, text] for c in data.courses for text in c.comments]
    return Sheet(_("Comments"), [_("Provider (course category)"), _("Course"), _("Comment")], rows,
                 caption=_caption(_("Trainees' comments"), data.synced), landscape=False)


def evaluation_tables(data: CourseEvaluations) -> list[Sheet]:
    return [provider_sheet(data), course_sheet(data), comment_sheet(data)]


def distribution_svg(rated: Ratings, width: int = 180, height: int = 16) -> str:
    """How many rated 1 to 5, as one bar split by rating (the count on a segment wide enough); an empty frame when
    nobody rated."""
    label = _("Ratings 1 to 5: {counts}").format(counts=", ".join(str(n) for n in rated.distribution))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" {FONT}>'
             f"<title>{escape(label)}</title>"]
    total = sum(rated.distribution)
    x = 0.0
    for rating, n in zip(RATINGS, rated.distribution, strict=True):
        if not n:
            continue
        share = n / total * width
        fill, ink = RATING_COLOURS[rating]
        parts.append(f'<rect class="r{rating}" x="{x:.1f}" y="0" width="{share:.1f}" height="{height}" '
                     f'fill="{fill}" stroke="#616161" stroke-width="0.6"><title>{rating}: {n}</title></rect>')
        if share >= 7 * len(str(n)) + 4:
            parts.append(f'<text x="{x + share / 2:.1f}" y="{height - 4}" text-anchor="middle" '
                         f'fill="{ink}">{n}</text>')
        x += share
    if not total:
        parts.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="none" stroke="#bdbdbd"/>')
    parts.append("</svg>")
    return "".join(parts)


def legend_svg() -> str:
    """The ratings' colours, 1 to 5."""
    width, parts = 0, []
    for rating in RATINGS:
        fill, ink = RATING_COLOURS[rating]
        parts.append(f'<rect x="{width}" y="0" width="22" height="16" fill="{fill}" stroke="#616161" '
                     f'stroke-width="0.6"/><text x="{width + 11}" y="12" text-anchor="middle" fill="{ink}">'
                     f"{rating}</text>")
        width += 24
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="16" viewBox="0 0 {width} 16" '
            f'role="img" aria-label="1-5" {FONT}>' + "".join(parts) + "</svg>")


def _questions(questions: Sequence[Ratings]) -> list[dict[str, Any]]:
    return [{"name": question_name(q), "cells": [str(c) for c in rating_cells(q)],
             "bar": "" if q.withheld else distribution_svg(q)} for q in questions]


def _course(course: CourseRatings) -> dict[str, Any]:
    said = (_("Responses: {responses}, of them anonymous: {anonymous}") if course.anonymous else
            _("Responses: {responses}")).format(responses=course.responses, anonymous=course.anonymous)
    return {"name": course.course, "short_name": course.short_name, "said": said,
            "questions": _questions(course.questions), "comments": grouped(course.comments),
            "withheld": _("Answered by fewer than {count}: its ratings and comments are not shown.").format(
                count=MIN_ANSWERS) if course.withheld else ""}


def grouped(comments: Sequence[str]) -> list[str]:
    """The comments as a page lists them: one written several times once, with how many times."""
    counts = Counter(comments)
    return [text if counts[text] == 1 else _("{comment} (written {times} times)").format(comment=text,
                                                                                         times=counts[text])
            for text in dict.fromkeys(comments)]


def evaluation_html(data: CourseEvaluations, environment: Environment, lang: str) -> str:
    providers = [{"name": p.provider or "-",
                  "said": _("Courses: {courses}; responses: {responses}").format(courses=p.courses,
                                                                                 responses=p.responses)
                  + ("; " + _("{count} of the courses left out (fewer than {min} answers)").format(
                      count=p.withheld, min=MIN_ANSWERS) if p.withheld else ""),
                  "questions": _questions(p.questions),
                  "courses": [_course(c) for c in data.courses if c.provider == p.provider]}
                 for p in data.providers]
    labels = {"question": _("Question"), "headers": rating_headers(), "distribution": _("Ratings 1 to 5"),
              "provider": _("All courses of this provider"), "comments": _("Comments"),
              "no_comments": _("No comments."),
              "none": _("No course evaluation in the mirror: turn features.feedback on, add a Feedback activity "
                        "with rated questions to the courses, and sync."),
              "scale": _("A rating is the weight of the option chosen: 1 is the lowest, 5 the highest. Comments "
                         "are shown without who wrote them.") + " " + few_note()}
    return environment.get_template("course_evaluation.html.j2").render(
        title=evaluation_title(), lang=lang, meta=_synced(data.synced), providers=providers, labels=labels,
        legend=legend_svg())


# --- the training needs ---------------------------------------------------------------------------------------------


def _needs_caption(data: TrainingNeeds, title: str) -> str:
    return _("{title} ({period} period, as of {day})").format(title=title, period=data.evaluation.period,
                                                             day=data.evaluation.as_of.isoformat())


def topic_sheet(data: TrainingNeeds) -> Sheet:
    """The county's topics, most chosen first (every response: named and anonymous)."""
    ordered = sorted(data.topics, key=lambda t: (-data.total.counts.get(t, 0), data.topics.index(t)))
    return Sheet(_("Topics"), [_("Topic"), _("Times chosen")],
                 [[topic, data.total.counts.get(topic, 0)] for topic in ordered],
                 footer=[[_("Responses"), data.total.responses]],
                 caption=_needs_caption(data, _("Training needs of the county")), landscape=False)


def few_note() -> str:
    return _("Figures behind which stand fewer than {count} answers are not shown, so that nobody's answers can be "
             "read off.").format(count=MIN_ANSWERS)


def topic_cells(data: TrainingNeeds, row: TopicCounts) -> list[Any]:
    """A unit's or rank's count of each topic; "fewer than 3 answers" (then blanks) for one withheld."""
    if row.withheld:
        return [too_few(), *("" for _topic in data.topics[1:])] if data.topics else []
    return [row.counts.get(t, 0) for t in data.topics]


def _matrix(data: TrainingNeeds, title: str, first: str, rows: Sequence[TopicCounts],
            name: Any, caption: str) -> Sheet:
    return Sheet(title, [first, _("Responses"), *data.topics],
                 [[name(r), r.responses, *topic_cells(data, r)] for r in rows],
                 caption=_needs_caption(data, caption))


def unit_sheet(data: TrainingNeeds) -> Sheet:
    return _matrix(data, _("By unit"), _("Unit"), data.by_unit, lambda r: r.name,
                   _("Training needs by unit (named answers)"))


def rank_sheet(data: TrainingNeeds) -> Sheet:
    return _matrix(data, _("By rank"), _("Cadre rank"), data.by_rank, lambda r: rank_name(data, r.key),
                   _("Training needs by rank (named answers)"))


def rank_name(data: TrainingNeeds, rank: str) -> str:
    """A rank as the rules' labels name it; "no rank" for a cadre Moodle gives none."""
    return value_label(data.rules, "rank", rank) if rank else _("no rank")


def needs_comment_sheet(data: TrainingNeeds) -> Sheet:
    return Sheet(_("Comments"), [_("Comment")], [[text] for text in data.comments],
                 caption=_needs_caption(data, _("Other training needs written")), landscape=False)


def needs_tables(data: TrainingNeeds) -> list[Sheet]:
    return [topic_sheet(data), unit_sheet(data), rank_sheet(data), needs_comment_sheet(data)]


def text_width(text: str) -> int:
    """About how wide a text is at 11 px: a Chinese character takes 11, a Latin letter 6."""
    return sum(11 if unicodedata.east_asian_width(char) in "WF" else 6 for char in text)


def topic_bars(data: TrainingNeeds, width: int = 620, bar: int = 16) -> str:
    """The county's topics, most chosen first, a bar each with its count."""
    rows = topic_sheet(data).rows
    longest = max((text_width(str(r[0])) for r in rows), default=0)
    label_width = max(80, min(longest + 12, width * 2 // 5))
    scale = width - label_width - 40
    most = max((int(r[1]) for r in rows), default=0) or 1
    height = max(1, len(rows)) * (bar + 6) + 2
    title = _("Topics chosen in the county")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {FONT}>'
             f"<title>{escape(title)}</title>"]
    for index, (topic, count) in enumerate(rows):
        y = index * (bar + 6) + 1
        length = int(count) / most * scale
        parts.append(f'<text x="{label_width - 6}" y="{y + bar - 4}" text-anchor="end">{escape(str(topic))}</text>'
                     f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar}" fill="#1565c0">'
                     f"<title>{escape(str(topic))}: {count}</title></rect>"
                     f'<text x="{label_width + length + 4:.1f}" y="{y + bar - 4}">{count}</text>')
    parts.append("</svg>")
    return "".join(parts)


def needs_html(data: TrainingNeeds, environment: Environment, lang: str) -> str:
    figures = [(_("Responses"), data.total.responses), (_("Named"), data.named),
               (_("Anonymous"), data.anonymous),
               (_("Placed in a unit"), sum(u.responses for u in data.by_unit))]
    notes = [_("Anonymous answers count in the county's figures only: they are never placed in a unit or rank."),
             few_note()]
    if data.unplaced:
        notes.append(_("{count} named answers are of people who are not cadres in this evaluation: they count in "
                       "the county's figures only.").format(count=data.unplaced))
    labels = {"topics": _("Topics chosen in the county"), "by_unit": _("By unit (named answers)"),
              "by_rank": _("By rank (named answers)"), "comments": _("Other training needs written"),
              "no_comments": _("No comments."), "nobody": _("No named answer of a cadre."),
              "none": _("No training-needs questionnaire in the mirror: label its topics question training_needs "
                        "in Moodle, turn features.feedback on, and sync.")}
    meta = _("Period {period}, units and ranks as of {day} (evaluation {id}); {synced}").format(
        period=data.evaluation.period, day=data.evaluation.as_of, id=data.evaluation.id, synced=_synced(data.synced))
    return environment.get_template("training_needs.html.j2").render(
        title=needs_title(), lang=lang, meta=meta, figures=figures, notes=notes, has_topics=bool(data.topics),
        chart=topic_bars(data) if data.topics else "", units=unit_sheet(data), ranks=rank_sheet(data),
        comments=grouped(data.comments), labels=labels)


def html(data: CourseEvaluations | TrainingNeeds, environment: Environment, common: Mapping[str, Any]) -> str:
    if isinstance(data, CourseEvaluations):
        return evaluation_html(data, environment, str(common["lang"]))
    return needs_html(data, environment, str(common["lang"]))


def tables(data: CourseEvaluations | TrainingNeeds) -> list[Sheet]:
    return evaluation_tables(data) if isinstance(data, CourseEvaluations) else needs_tables(data)
