"""Ledger sources named for people: the course (full and short name, grade) or the offline training (title,
organiser, days) a code such as ``completion:14:7`` or ``offline:22`` stands for, and what stands per source."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from ..rules.ledger import EPSILON, standing_of
from ..store.schema import mirror_courses, mirror_grades, mirror_users, offline_records
from .answers import CreditLine, LedgerEntry, Source


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def named_sources(connection: Connection, user_id: int, entries: Sequence[LedgerEntry]) -> dict[str, Source]:
    """Every source of ``entries`` (one cadre's, Moodle user ``user_id``), named from the mirror (courses gone from
    Moodle keep their last name) and the offline records; the grade is the one the rules credited, else Moodle's."""
    codes = sorted({e.source for e in entries})
    details = {e.source: e.detail for e in entries if e.kind != "reversal"}  # the latest credit's, in posting order
    parts = {code: code.split(":") for code in codes}
    course_ids = {n for p in parts.values() if p[0] == "completion" and len(p) == 3 and (n := _number(p[1]))}
    offline_ids = {n for p in parts.values() if p[0] == "offline" and len(p) == 2 and (n := _number(p[1]))}
    courses = {r.id: r for r in connection.execute(
        select(mirror_courses.c.id, mirror_courses.c.fullname, mirror_courses.c.shortname)
        .where(mirror_courses.c.id.in_(course_ids)))} if course_ids else {}
    grades = {r.course_id: r for r in connection.execute(
        select(mirror_grades.c.course_id, mirror_grades.c.grade, mirror_grades.c.grademax)
        .where(mirror_grades.c.user_id == user_id, mirror_grades.c.course_id.in_(course_ids)))} if course_ids else {}
    trainings = {r.id: r for r in connection.execute(select(offline_records).where(
        offline_records.c.id.in_(offline_ids)))} if offline_ids else {}
    named: dict[str, Source] = {}
    for code, (head, *rest) in parts.items():
        detail = details.get(code, {})
        number = _number(rest[0]) if rest else None
        if head == "completion" and number is not None:
            course, grade = courses.get(number), grades.get(number)
            credited = detail.get("grade")
            named[code] = Source(code, "course", course.fullname if course else detail.get("course"), number,
                                 course.shortname if course else None,
                                 grade=credited if credited is not None else (grade.grade if grade else None),
                                 grade_max=grade.grademax if grade else None)
        elif head == "offline" and number is not None and number in trainings:
            row = trainings[number]
            named[code] = Source(code, "offline", row.training, organiser=row.organiser, started=row.start,
                                 ended=row.end)
        elif head == "offline":
            named[code] = Source(code, "offline", detail.get("training"))
        elif head == "carryover":
            named[code] = Source(code, "carryover", from_period=rest[0] if rest else None)
        elif head == "adjustment":
            named[code] = Source(code, "adjustment", number=number)
        else:
            named[code] = Source(code, "other")
    return named


def cadre_sources(connection: Connection, cadre_id: str, entries: Sequence[LedgerEntry]) -> dict[str, Source]:
    """`named_sources` for a cadre known by id (the grades are those of the Moodle user with that cadre id)."""
    user_id = connection.execute(select(mirror_users.c.id).where(mirror_users.c.cadre_id == cadre_id)
                                 .order_by(mirror_users.c.id)).scalar()
    return named_sources(connection, user_id if user_id is not None else -1, entries)


def credit_lines(entries: Sequence[LedgerEntry], sources: dict[str, Source], timezone: str) -> list[CreditLine]:
    """What stands per source and period (reversals folded in; nothing left: not listed), by day earned."""
    zone = ZoneInfo(timezone)
    reasons = {(e.source, e.period): e.reason for e in entries if e.kind == "adjustment"}
    lines = [CreditLine(sources.get(source) or Source(source, "other"), period, round(stand.hours, 2), stand.online,
                        datetime.fromtimestamp(stand.earned_at, zone).date(), reasons.get((source, period)))
             for (_cadre, source, period), stand in standing_of(entries).items() if abs(stand.hours) >= EPSILON]
    return sorted(lines, key=lambda c: (c.day, c.period, c.source.title or "", c.source.code))
