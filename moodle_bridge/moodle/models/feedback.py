"""The Feedback module's answers (mod/feedback/classes/external.php, Moodle 3.3 and later): the activities of some
courses, a feedback's items (questions) and its responses as a teacher or manager reads them.

A response to an anonymous feedback comes in ``anonattempts``: its completed id, its course and its answers, and no
user (Moodle's responses_anon_table selects ``c.id, c.random_response, c.courseid``). Only named responses
(``attempts``) carry a user id.
"""

from __future__ import annotations

from ._base import MoodleModel, Warning

ANONYMOUS_YES, ANONYMOUS_NO = 1, 2  # mod/feedback/lib.php FEEDBACK_ANONYMOUS_YES / _NO
TYPE_SEPARATOR, LINE_SEPARATOR, VALUE_SEPARATOR, ADJUST_SEPARATOR = ">>>>>", "|", "####", "<<<<<"


class Feedback(MoodleModel):
    """One Feedback activity (feedback_summary_exporter). ``timeopen``, ``timeclose`` and ``timemodified`` come only
    to a user who may edit its questions (mod/feedback:edititems)."""

    ignored_keys = frozenset({
        "intro", "introformat", "email_notification", "multiple_submit", "autonumbering", "site_after_submit",
        "page_after_submit", "page_after_submitformat", "publish_stats", "completionsubmit", "introfiles",
        "pageaftersubmitfiles",
    })

    id: int
    course: int
    name: str
    anonymous: int  # 1 anonymous, 2 with the user's name
    coursemodule: int
    timeopen: int | None = None
    timeclose: int | None = None
    timemodified: int | None = None

    @property
    def is_anonymous(self) -> bool:
        """Anything but "with the user's name" is anonymous: the safe reading of a value Moodle may add."""
        return self.anonymous != ANONYMOUS_NO


class FeedbacksByCourses(MoodleModel):
    """``mod_feedback_get_feedbacks_by_courses``; a course the user may not see is a warning."""

    feedbacks: list[Feedback]
    warnings: list[Warning] = []


class Choice(MoodleModel):
    """One option of a multiple-choice question, as its item's presentation holds it: its position (what an answer
    stores, from 1), its value (a rated question's weight) and its text."""

    index: int
    value: float | None
    text: str


class FeedbackItem(MoodleModel):
    """A question (feedback_item_exporter). ``presentation`` holds a multiple choice's options:
    ``r>>>>>one|two|three`` (``r`` radio, ``c`` checkboxes, ``d`` a drop-down; ``<<<<<1`` after them: shown side by
    side), a rated one's as ``r>>>>>5####Excellent|4####Good|...`` (weight, then text)."""

    ignored_keys = frozenset({
        "feedback", "template", "required", "dependitem", "dependvalue", "options", "itemfiles", "itemnumber",
        "otherdata",
    })

    id: int
    name: str
    label: str
    presentation: str
    typ: str
    hasvalue: int
    position: int

    @property
    def subtype(self) -> str:
        """A multiple choice's kind: r (one answer), c (several), d (a drop-down)."""
        return self.presentation.split(TYPE_SEPARATOR, 1)[0] if TYPE_SEPARATOR in self.presentation else "r"

    @property
    def choices(self) -> list[Choice]:
        """The options of a multiple choice (``multichoice``) or rated (``multichoicerated``) question; none for
        others. The position counts from 1, as Moodle's stored answers do."""
        if self.typ not in ("multichoice", "multichoicerated"):
            return []
        lines = self.presentation.split(TYPE_SEPARATOR, 1)[-1]
        if self.subtype != "d":
            lines = lines.split(ADJUST_SEPARATOR, 1)[0]
        found = []
        for index, line in enumerate(lines.split(LINE_SEPARATOR), start=1):
            value: float | None = None
            text = line
            if self.typ == "multichoicerated" and VALUE_SEPARATOR in line:
                weight, text = line.split(VALUE_SEPARATOR, 1)
                try:
                    value = float(weight)
                except ValueError:
                    value = None
            found.append(Choice(index=index, value=value, text=text.strip()))
        return found


class FeedbackItems(MoodleModel):
    """``mod_feedback_get_items``."""

    items: list[FeedbackItem]
    warnings: list[Warning] = []


class ResponseValue(MoodleModel):
    """One answer: the item's id (``id``), and the stored value (``rawval``: a choice's position, several
    positions joined by ``|``, or the text written). ``name`` is the question as the table's header shows it."""

    ignored_keys = frozenset({"name", "printval"})

    id: int
    rawval: str | None


class NamedAttempt(MoodleModel):
    """A response to a feedback with the user's name."""

    ignored_keys = frozenset({"fullname"})

    id: int
    courseid: int
    userid: int
    timemodified: int
    responses: list[ResponseValue]


class AnonymousAttempt(MoodleModel):
    """A response to an anonymous feedback: no user. ``number`` is Moodle's response number, shuffled again whenever
    a new anonymous response arrives: it names nothing stable."""

    ignored_keys = frozenset({"number"})

    id: int
    courseid: int
    responses: list[ResponseValue]


class ResponsesAnalysis(MoodleModel):
    """``mod_feedback_get_responses_analysis``: one page of each list (``page``, ``perpage``; 0 per page: all), with
    each list's total."""

    attempts: list[NamedAttempt]
    totalattempts: int
    anonattempts: list[AnonymousAttempt]
    totalanonattempts: int
    warnings: list[Warning] = []
