"""The promotion check (pure): over which periods a candidate's training is checked, whether a requirement was
missed there, and the list of candidates staff give (a table from a file, or ids typed or pasted).

Cadres who have not completed the training required of them are, as a rule, not promoted (提拔任职). The rules
file's optional ``promotion:`` section says which periods count:

```yaml
promotion:
  periods: 1              # the last N periods that have ended (1: the last one); 0 with include_current
  include_current: false  # also the period in progress, as it stands so far
```

How a requirement stands for a promotion (``requirement_verdict``):

- **A period that has ended, evaluated as of its last day or later** (final): every requirement whose deadline fell
  within the period and is not met is *missed*, whatever status the evaluation gave it. On its last day an evaluation
  still calls hours short by less than the at-risk margin "on track" and hours further short "at risk" (the period
  was not yet over); once it is over they are missed. A requirement whose deadline lies after the period (a
  multi-year window, a make-up due next period) is not missed: at risk, it is *to watch*. A required course done, only
  after its due day (``completed_late``), is done: *to watch*, never missed.
- **A period that has ended, whose latest evaluation is earlier than its last day** (not final): what was met then
  stays met; anything else *cannot be told* until the period is evaluated as of its last day.
- **The period in progress** (``include_current``): missed only what is already non-compliant (a due day gone by);
  at risk is *to watch*, on track is met so far.

A candidate meets the requirements when no period checked has a missed requirement and every period could be told;
a suspended account, a candidate not evaluated in a period, or a period with no evaluation cannot be told.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from ..i18n import _
from .kinds.base import last_day
from .offline import ImportError_, Table
from .periods import period, period_of
from .sections import Organisation, Strict

MAX_PERIODS = 10  # periods back a check may reach: two five-year windows
MAX_CANDIDATES = 2000  # candidates in one check: a promotion round of a province's units, and far from a whole store
MAX_CADRE_ID = 255  # the store's column
MAX_NAME = 200

Verdict = Literal["meets", "does_not_meet", "unknown"]
Standing = Literal["met", "missed", "watch", "unknown"]

CADRE_ID_HEADERS = ("cadre id", "cadre_id", "cadre no.", "干部编号", "编号")
NAME_HEADERS = ("name", "full name", "姓名")


class Promotion(Strict):
    """Which periods the promotion check reads (``moodle-bridge check-promotion``, the review page's /promotion)."""

    periods: int = Field(1, ge=0, le=MAX_PERIODS)  # the last N periods that have ended
    include_current: bool = False  # also the period in progress, as it stands so far

    @model_validator(mode="after")
    def _some_period(self) -> Promotion:
        if self.periods == 0 and not self.include_current:
            raise ValueError("checks no period: give periods: 1 or more, or include_current: true")
        return self


@dataclass(frozen=True)
class CheckedPeriod:
    """A period the check reads: its label, whether it is the one in progress, and its last day."""

    label: str
    current: bool
    last_day: date


def checked_periods(promotion: Promotion, organisation: Organisation, today: date) -> list[CheckedPeriod]:
    """The periods checked on ``today`` (in the organisation's zone), the oldest first: the ``periods`` that ended
    before today's, then today's when ``include_current``."""
    zone = ZoneInfo(organisation.timezone)
    now = period_of(int(datetime(today.year, today.month, today.day, 12, tzinfo=zone).timestamp()), organisation)
    year = int(now.label)
    found = [CheckedPeriod(str(y), False, last_day(period(y, organisation).end, organisation))
             for y in range(year - promotion.periods, year)]
    if promotion.include_current:
        found.append(CheckedPeriod(now.label, True, last_day(now.end, organisation)))
    return found


def requirement_verdict(status: str | None, deadline: date | None, checked: CheckedPeriod, as_of: date,
                        completed_late: bool = False) -> Standing:
    """How one requirement stands for a promotion in a period (see the module's words): ``status`` as the
    evaluation (of ``as_of``) found it (None: nothing flagged nor measured: met or on track; ``not_applicable``:
    nothing asked this period), ``deadline`` the last day it could be met (None: not known)."""
    if status in (None, "compliant", "not_applicable", "exempt"):
        return "met"
    if status == "suspended":
        return "unknown"
    if completed_late:
        return "watch"
    if checked.current:
        return "missed" if status == "non_compliant" else "watch" if status == "at_risk" else "met"
    if as_of < checked.last_day:  # the period ended after its latest evaluation: the figures are not its last
        return "unknown"
    if deadline is not None:
        return "missed" if deadline <= checked.last_day else "watch" if status == "at_risk" else "met"
    return "missed" if status == "non_compliant" else "watch" if status == "at_risk" else "met"


def period_verdict(standings: Iterable[Standing]) -> Verdict:
    """A period's verdict from its requirements': any missed, does not meet; else any not told, unknown."""
    found = set(standings)
    return "does_not_meet" if "missed" in found else "unknown" if "unknown" in found else "meets"


def overall(verdicts: Iterable[Verdict]) -> Verdict:
    """The candidate's verdict over the periods checked: any period not met, not met; else any not told, unknown."""
    found = set(verdicts)
    if not found:
        return "unknown"
    return "does_not_meet" if "does_not_meet" in found else "unknown" if "unknown" in found else "meets"


def names_match(given: str, known: str) -> bool:
    """Whether a name on a candidates' list is the cadre's: the same letters, whatever the spaces, case, full-width
    forms or order of its parts ("Tao Ma" is "MA Tao"; "马 涛" is "马涛")."""
    def parts(text: str) -> list[str]:
        return unicodedata.normalize("NFKC", text).casefold().split()

    return sorted(parts(given)) == sorted(parts(known)) or "".join(parts(given)) == "".join(parts(known))


# --- the candidates: rows of a file, or text typed or pasted -------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A candidate as staff gave them: the cadre id, the name the list gives (None: none) and where (a file's line;
    None: the command line or the page)."""

    cadre_id: str
    name: str | None = None
    line: int | None = None


def _text(value: Any) -> str:
    """A cell as text: an Excel number (12345.0) as the id it is (12345)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header(header: Sequence[Any], labels: tuple[str, ...]) -> int | None:
    for index, cell in enumerate(header):
        if " ".join(_text(cell).lower().split()) in labels:
            return index
    return None


def candidates_from_table(table: Table, source: str) -> list[Candidate]:
    """The candidates of a table (its first row the header: a cadre id column headed "cadre id" or "干部编号", and
    optionally a name column, "name" or "姓名"; other columns are left alone). Every problem, with its line:
    :class:`ImportError_` (nothing is checked from a list with a problem)."""
    if not table:
        raise ImportError_([_("{source}: the file is empty").format(source=source)])
    header_line, header = table[0]
    at, named = _header(header, CADRE_ID_HEADERS), _header(header, NAME_HEADERS)
    if at is None:
        raise ImportError_([_("{source}:{line}: no column headed “cadre id” or “干部编号” (the first row names the "
                              "columns)").format(source=source, line=header_line)])
    rows = []
    for line, cells in table[1:]:
        cadre_id = _text(cells[at]) if at < len(cells) else ""
        name = (_text(cells[named]) if named is not None and named < len(cells) else "") or None
        rows.append((line, cadre_id, name))
    return _checked(rows, source)


def candidates_from_text(text: str, source: str | None = None) -> list[Candidate]:
    """Cadre ids typed or pasted: one a line, or several apart by commas, spaces or semicolons; a line copied from
    a spreadsheet (cells apart by tabs) is a cadre id and the candidate's name. Raises :class:`ImportError_`."""
    rows: list[tuple[int, str, str | None]] = []
    source = source or _("the list")
    for line, raw in enumerate(text.splitlines(), start=1):
        if "\t" in raw:
            cells = [c.strip() for c in raw.split("\t")]
            if any(cells):
                rows.append((line, cells[0], (cells[1] if len(cells) > 1 else "") or None))
            continue
        for separator in "，,;；、":
            raw = raw.replace(separator, " ")
        rows += [(line, cadre_id, None) for cadre_id in raw.split()]
    return _checked(rows, source, header=False)


def _checked(rows: list[tuple[int, str, str | None]], source: str, header: bool = True) -> list[Candidate]:
    """The candidates, each once (a cadre id given again with the same or no name is the same candidate); every
    problem with its line."""
    problems: list[str] = []
    found: dict[str, Candidate] = {}
    for line, cadre_id, name in rows:
        where = f"{source}:{line}" if header else _("{source}, line {line}").format(source=source, line=line)
        if not cadre_id:
            problems.append(_("{where}: no cadre id (name “{name}”)").format(where=where, name=name) if name else
                            _("{where}: no cadre id").format(where=where))
        elif len(cadre_id) > MAX_CADRE_ID or any(unicodedata.category(c).startswith("C") for c in cadre_id):
            problems.append(_("{where}: “{text}” is not a cadre id").format(where=where, text=cadre_id[:40]))
        elif name is not None and len(name) > MAX_NAME:
            problems.append(_("{where}: the name is longer than {n} characters").format(where=where, n=MAX_NAME))
        elif cadre_id in found:
            first = found[cadre_id]
            if name and first.name and not names_match(name, first.name):
                problems.append(_("{where}: cadre id {cadre} is given again with another name (“{name}”; line "
                                  "{first}: “{first_name}”)").format(where=where, cadre=cadre_id, name=name,
                                                                     first=first.line, first_name=first.name))
            elif name and not first.name:
                found[cadre_id] = Candidate(cadre_id, name, first.line)
        else:
            found[cadre_id] = Candidate(cadre_id, name, line)
    if not problems and not found:
        problems.append(_("{source}: no cadre id in it").format(source=source))
    if len(found) > MAX_CANDIDATES:
        problems.append(_("{source}: {n} candidates; at most {most} in one check").format(
            source=source, n=len(found), most=MAX_CANDIDATES))
    if problems:
        raise ImportError_(problems)
    return list(found.values())


def joined(*lists: Sequence[Candidate]) -> list[Candidate]:
    """Candidates from several places (the command line, a file), each once, in the order first given; a name given
    in one place and not the other is kept."""
    found: dict[str, Candidate] = {}
    for candidates in lists:
        for candidate in candidates:
            first = found.get(candidate.cadre_id)
            if first is None or (candidate.name and not first.name):
                found[candidate.cadre_id] = candidate if first is None else Candidate(
                    first.cadre_id, candidate.name, candidate.line)
    return list(found.values())
