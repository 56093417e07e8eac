"""An incremental evaluation gives exactly what a whole one gives: the same results, flags and ledger.

Two stores receive the same changes, step by step (Moodle completions, resets and grades; profiles, cadre ids,
suspensions, deletions, units and their names; offline imports and withdrawals; exemptions and their lifting;
adjustments; rules edits; a period closed; days passing). At every evaluation, store A judges incrementally (only
the cadres whose facts changed or whose result expired) and store B judges every cadre from scratch; what they hold
must be equal, and so must their ledgers, posting for posting.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moodle_bridge import results
from moodle_bridge.results import unit_rates
from moodle_bridge.rules.loader import parse_rules
from moodle_bridge.services import ledger as ledger_service
from moodle_bridge.services import parallel
from moodle_bridge.services.evaluation import evaluate
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.held import held_in
from moodle_bridge.store.schema import (
    closing_differences,
    credit_entries,
    evaluation_flags,
    evaluation_results,
    evaluations,
    exemptions,
    mirror_categories,
    mirror_cohort_members,
    mirror_cohorts,
    mirror_completions,
    mirror_courses,
    mirror_grades,
    mirror_users,
    offline_records,
    unit_tallies,
)
from moodle_bridge.store.unit_tallies import UnitTally, held_contributions, tally

from ..conftest import IN_CI, POSTGRES_URL

RULES = Path(__file__).parents[2] / "config" / "rules.example.yaml"
ZONE_OFFSET = 8 * 3600  # Asia/Shanghai, the example rules' zone
USERS = list(range(10, 17))
COURSES = {2: 4.0, 3: 6.0, 4: 8.0, 5: 12.0, 6: None, 7: None}  # 6 and 7: required reading (category CAT-RR)
RANKS = ["county_leader", "section_chief", "staff", "village_cadre"]
CADRE_IDS = [f"CD{n}" for n in range(1, 9)]  # fewer than users can take: duplicates happen


def _rules_text(variant: int) -> str:
    """The example rules with hours a handful of courses can meet (statuses of every kind), carry-over on; variant 1
    edits one group (the county leaders' window)."""
    text = RULES.read_text()
    text = (text.replace("{kind: min_hours, hours: 90}", "{kind: min_hours, hours: 20}")
            .replace("{kind: min_online_hours, hours: 50}", "{kind: min_online_hours, hours: 10}")
            .replace("{kind: window, start_year: 2023, years: 5, hours: 550}",
                     "{kind: window, start_year: 2023, years: 5, hours: 40}")
            .replace("hours: 30}", "hours: 6}")
            .replace("  leave_limit: 0.142857", "  leave_limit: 0.142857\n  carry_over: {enabled: true, max_hours: 5}"))
    if variant:
        text = text.replace("{kind: window, start_year: 2023, years: 5, hours: 40}",
                            "{kind: window, start_year: 2023, years: 5, hours: 48}")
    return text


def _loaded(variant: int) -> Any:
    return parse_rules(_rules_text(variant), "rules.yaml")


def _at(day: date, hour: int = 10) -> int:
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=UTC).timestamp()) - ZONE_OFFSET


@contextmanager
def _stores(kind: str, tmp: Path) -> Iterator[tuple[sa.Engine, sa.Engine]]:
    """Two empty stores of one kind: files for SQLite, schemas for PostgreSQL."""
    if kind == "sqlite":
        name = uuid.uuid4().hex[:8]
        urls = [f"sqlite:///{tmp}/{name}-{side}.db" for side in "ab"]
        cleanup: list[str] = []
    else:
        admin = sa.create_engine(POSTGRES_URL)
        cleanup = [f"t_{uuid.uuid4().hex[:12]}" for _side in "ab"]
        with admin.begin() as c:
            for schema in cleanup:
                c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        urls = [sa.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={s}"})
                .render_as_string(hide_password=False) for s in cleanup]
    engines = [connect(url) for url in urls]
    try:
        for engine in engines:
            upgrade(engine)
            _seed(engine)
        yield engines[0], engines[1]
    finally:
        for engine in engines:
            engine.dispose()
        if cleanup:
            with admin.begin() as c:
                for schema in cleanup:
                    c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def _seed(engine: sa.Engine) -> None:
    start = _at(date(2025, 1, 1), 0)
    with engine.begin() as c:
        c.execute(sa.insert(mirror_categories), [
            {"id": 1, "name": "Courses", "idnumber": "CAT-A", "parent": 0, "path": "/1", "visible": True},
            {"id": 2, "name": "Reading", "idnumber": "CAT-RR", "parent": 0, "path": "/2", "visible": True}])
        c.execute(sa.insert(mirror_courses), [
            {"id": cid, "shortname": f"C{cid}", "fullname": f"Course {cid}",
             "idnumber": "CT2026-PT26-001" if cid == 2 else f"CT-{cid}", "categoryid": 2 if hours is None else 1,
             "visible": True, "startdate": start, "enddate": _at(date(2026, 9, 30), 0) if cid == 5 else 0,
             "completion_enabled": True, "hours": hours, "training_type": "online_course"}
            for cid, hours in COURSES.items()])
        c.execute(sa.insert(mirror_cohorts), [{"id": u, "name": f"Unit {u}", "idnumber": f"U{u}", "visible": True}
                                              for u in (1, 2)])
        c.execute(sa.insert(mirror_users), [
            {"id": uid, "username": f"u{uid}", "idnumber": None, "firstname": "Cadre", "lastname": str(uid),
             "email": None, "department": None, "suspended": False, "cadre_id": f"CD{n + 1}",
             "profile": {"cadre_id": f"CD{n + 1}", "rank": RANKS[n % len(RANKS)], "category": "civil_servant",
                         **({"promoted": "2026-02-01"} if n == 2 else {}),
                         **({"joined": "2026-04-01"} if n == 3 else {})}}
            for n, uid in enumerate(USERS)])
        c.execute(sa.insert(mirror_cohort_members), [{"cohort_id": 1 + uid % 2, "user_id": uid} for uid in USERS])


# --- the changes ----------------------------------------------------------------------------------------------

days = st.integers(0, 420).map(lambda n: date(2026, 1, 1) + timedelta(days=n))
changes = st.one_of(
    st.tuples(st.just("complete"), st.sampled_from(USERS), st.sampled_from(list(COURSES)), days,
              st.sampled_from([None, 40.0, 75.0, 95.0])),
    st.tuples(st.just("reset"), st.sampled_from(USERS), st.sampled_from(list(COURSES))),
    st.tuples(st.just("grade"), st.sampled_from(USERS), st.sampled_from(list(COURSES)), st.sampled_from([30.0, 90.0])),
    st.tuples(st.just("rank"), st.sampled_from(USERS), st.sampled_from(RANKS)),
    st.tuples(st.just("cadre_id"), st.sampled_from(USERS), st.sampled_from([*CADRE_IDS, ""])),
    st.tuples(st.just("suspend"), st.sampled_from(USERS), st.booleans()),
    st.tuples(st.just("gone"), st.sampled_from(USERS), st.booleans()),
    st.tuples(st.just("move"), st.sampled_from(USERS)),
    st.tuples(st.just("rename"), st.sampled_from([1, 2]), st.text("abc", min_size=1, max_size=3)),
    st.tuples(st.just("offline"), st.sampled_from(CADRE_IDS), st.sampled_from([3.0, 8.0, 16.0]), days),
    st.tuples(st.just("withdraw"), st.integers(0, 5)),
    st.tuples(st.just("exempt"), st.sampled_from(CADRE_IDS), st.sampled_from(["full", "prorate"]), days, days),
    st.tuples(st.just("lift"), st.integers(0, 5)),
    st.tuples(st.just("adjust"), st.sampled_from(CADRE_IDS), st.sampled_from([-4.0, 5.0])),
    st.tuples(st.just("rules"), st.sampled_from([0, 1])),
    st.tuples(st.just("close"),),
    st.tuples(st.just("days"), st.integers(1, 90)),
    st.tuples(st.just("evaluate"),),
)


class World:
    """The changes applied to one store, as the sync, the imports, the review page and staff write them."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.count = 0

    def apply(self, change: tuple[Any, ...]) -> None:
        name, *args = change
        getattr(self, name)(*args)

    def _now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC)

    def complete(self, user: int, course: int, day: date, grade: float | None) -> None:
        with self.engine.begin() as c:
            key = (mirror_completions.c.course_id == course) & (mirror_completions.c.user_id == user)
            if c.execute(sa.select(mirror_completions.c.user_id).where(key)).first():
                c.execute(sa.update(mirror_completions).where(key).values(
                    time_completed=_at(day), gone_at=None, gone_reason=None))
            else:
                c.execute(sa.insert(mirror_completions).values(course_id=course, user_id=user,
                                                               time_completed=_at(day), precision="second",
                                                               road="report"))
            if grade is not None:
                self.grade(user, course, grade, c)

    def reset(self, user: int, course: int) -> None:
        with self.engine.begin() as c:
            c.execute(sa.update(mirror_completions).where(
                mirror_completions.c.course_id == course, mirror_completions.c.user_id == user,
                mirror_completions.c.gone_at.is_(None)).values(gone_at=self._now(), gone_reason="reset"))

    def grade(self, user: int, course: int, grade: float, connection: sa.Connection | None = None) -> None:
        with (self.engine.begin() if connection is None else _same(connection)) as c:
            key = (mirror_grades.c.course_id == course) & (mirror_grades.c.user_id == user)
            if c.execute(sa.select(mirror_grades.c.user_id).where(key)).first():
                c.execute(sa.update(mirror_grades).where(key).values(grade=grade, gone_at=None))
            else:
                c.execute(sa.insert(mirror_grades).values(course_id=course, user_id=user, grade=grade,
                                                          grademax=100.0, graded_at=0))

    def _profile(self, user: int, **values: Any) -> None:
        with self.engine.begin() as c:
            profile = dict(c.execute(sa.select(mirror_users.c.profile).where(mirror_users.c.id == user)).scalar_one())
            profile.update(values)
            c.execute(sa.update(mirror_users).where(mirror_users.c.id == user).values(profile=profile))

    def rank(self, user: int, rank: str) -> None:
        self._profile(user, rank=rank)

    def cadre_id(self, user: int, cadre_id: str) -> None:
        self._profile(user, cadre_id=cadre_id)

    def suspend(self, user: int, suspended: bool) -> None:
        with self.engine.begin() as c:
            c.execute(sa.update(mirror_users).where(mirror_users.c.id == user).values(suspended=suspended))

    def gone(self, user: int, gone: bool) -> None:
        with self.engine.begin() as c:
            c.execute(sa.update(mirror_users).where(mirror_users.c.id == user).values(
                gone_at=self._now() if gone else None, gone_reason="deleted" if gone else None))

    def move(self, user: int) -> None:
        """To the other unit: the old membership gone, the new one added (or back)."""
        with self.engine.begin() as c:
            members = mirror_cohort_members.c
            now = c.execute(sa.select(members.cohort_id).where(members.user_id == user, members.gone_at.is_(None))
                            ).scalar()
            target = 2 if now == 1 else 1
            c.execute(sa.update(mirror_cohort_members).where(members.user_id == user, members.gone_at.is_(None))
                      .values(gone_at=self._now(), gone_reason="removed"))
            if c.execute(sa.select(members.user_id).where(members.user_id == user, members.cohort_id == target)
                         ).first():
                c.execute(sa.update(mirror_cohort_members).where(members.user_id == user,
                                                                 members.cohort_id == target)
                          .values(gone_at=None, gone_reason=None))
            else:
                c.execute(sa.insert(mirror_cohort_members).values(cohort_id=target, user_id=user))

    def rename(self, cohort: int, name: str) -> None:
        with self.engine.begin() as c:
            c.execute(sa.update(mirror_cohorts).where(mirror_cohorts.c.id == cohort).values(name=f"Unit {name}"))

    def offline(self, cadre_id: str, hours: float, day: date) -> None:
        self.count += 1
        with self.engine.begin() as c:
            c.execute(sa.insert(offline_records).values(
                row_key=f"k{self.count}", cadre_id=cadre_id, training="Party school", organiser="County", start=day,
                end=day, days=None, hours=hours, leave_hours=0.0, kind="offline", reference=None,
                source_file="x.csv", line=self.count, imported_at=self._now()))

    def withdraw(self, index: int) -> None:
        with self.engine.begin() as c:
            ids = c.execute(sa.select(offline_records.c.id).where(offline_records.c.withdrawn_at.is_(None))
                            .order_by(offline_records.c.id)).scalars().all()
        if ids:
            ledger_service.withdraw(self.engine, ids[index % len(ids)], "entered twice")

    def exempt(self, cadre_id: str, effect: str, start: date, end: date) -> None:
        self.count += 1
        with self.engine.begin() as c:
            c.execute(sa.insert(exemptions).values(
                key=f"e{self.count}", cadre_id=cadre_id, reason="illness", start=min(start, end), end=max(start, end),
                effect=effect, source="review", created_at=self._now()))

    def lift(self, index: int) -> None:
        with self.engine.begin() as c:
            ids = c.execute(sa.select(exemptions.c.id).where(exemptions.c.withdrawn_at.is_(None))
                            .order_by(exemptions.c.id)).scalars().all()
            if ids:
                c.execute(sa.update(exemptions).where(exemptions.c.id == ids[index % len(ids)])
                          .values(withdrawn_at=self._now()))

    def adjust(self, cadre_id: str, hours: float) -> None:
        ledger_service.adjust(self.engine, _loaded(0).rules, cadre_id, hours, "by hand", "2026", True)

    def close(self) -> None:
        with suppress(ledger_service.LedgerError):  # not evaluated yet, or closed already
            ledger_service.close_period(self.engine, "2026")


@contextmanager
def _same(connection: sa.Connection) -> Iterator[sa.Connection]:
    yield connection


# --- what the two stores hold ----------------------------------------------------------------------------------


def _held(engine: sa.Engine, evaluation_id: int) -> dict[str, Any]:
    with engine.connect() as c:
        results = sorted((r.cadre_id, r.user_id, r.name, r.unit_code, r.unit_name, tuple(r.groups), r.status,
                          r.hours_online, r.hours_offline, r.required_hours, r.flags) for r in c.execute(
            sa.select(evaluation_results).where(held_in(evaluation_results, evaluation_id))))
        flags = Counter((r.cadre_id, r.kind, r.group_name, r.rule, repr(sorted(r.evidence.items()))) for r in c.execute(
            sa.select(evaluation_flags).where(held_in(evaluation_flags, evaluation_id))))
        entries = sorted((r.cadre_id, r.source, r.period, round(r.hours, 4), r.online, r.earned_at, r.kind)
                         for r in c.execute(sa.select(credit_entries)))
        differences = sorted((r.period, r.cadre_id, r.source, r.new_hours, r.state)
                             for r in c.execute(sa.select(closing_differences)))
        # The units' tallies it keeps (carried over from evaluation to evaluation): as counted from its results.
        tallies = {r.unit_code: UnitTally.from_row(r) for r in c.execute(
            sa.select(unit_tallies).where(held_in(unit_tallies, evaluation_id)))}
        assert tallies == tally(held_contributions(c, "2026", None))
    return {"results": results, "flags": flags, "ledger": entries, "differences": differences, "tallies": tallies}


def _totals_agree(connection: sa.Connection, evaluation_id: int) -> None:
    """The flagged list's totals, read from the units' tallies, count the cadres the list shows: every one, by unit,
    kind and group, within a scope."""
    flagged = results.flagged_cadres(connection, evaluation_id)
    asks = [results.CadreQuery()]
    asks += [results.CadreQuery(kind=k) for k in sorted({f.kind for c in flagged for f in c.flags})]
    asks += [results.CadreQuery(group=g) for g in sorted({f.group for c in flagged for f in c.flags})]
    asks += [results.CadreQuery(unit_code=u) for u in sorted({c.result.unit_code for c in flagged})]
    for scope in (None, sorted({c.result.unit_code for c in flagged})[:1]):
        for ask in asks:
            assert results.flagged_page(connection, evaluation_id, scope, ask).total == len(
                results.flagged_cadres(connection, evaluation_id, scope, ask)), (scope, ask)


def _replay(kind: str, tmp: Path, steps: list[tuple[Any, ...]], mine: dict[str, Any] | None = None) -> int:
    """Apply ``steps`` to both stores, evaluating A incrementally (or as ``mine`` says) and B from scratch in one
    process; compare at each evaluation. Returns how many evaluations judged fewer cadres than a whole one (the
    incremental road was taken)."""
    partial = 0
    with _stores(kind, tmp) as (a, b):
        worlds = [World(a), World(b)]
        variant, as_of = 0, date(2026, 3, 1)
        for step in [*steps, ("evaluate",)]:
            if step[0] == "rules":
                variant = step[1]
            elif step[0] == "days":
                as_of += timedelta(days=step[1])
            elif step[0] == "untallied":  # A's evaluations as an older version left them: no units' tallies
                with a.begin() as c:
                    c.execute(sa.update(evaluations).values(tallied=None))
                    c.execute(sa.delete(unit_tallies))
            elif step[0] == "evaluate":
                loaded = _loaded(variant)
                ours = evaluate(a, loaded, "2026", as_of, **(mine or {"incremental": True}))
                whole = evaluate(b, loaded, "2026", as_of, incremental=False, workers=0)
                assert not whole.incremental
                assert (ours.statuses, ours.flags, ours.posted, ours.differences) == (
                    whole.statuses, whole.flags, whole.posted, whole.differences), step
                assert _held(a, ours.evaluation_id) == _held(b, whole.evaluation_id)
                with a.connect() as ca, b.connect() as cb:  # the units' figures, as every report reads them
                    assert unit_rates(ca, ours.evaluation_id) == unit_rates(cb, whole.evaluation_id)
                    _totals_agree(ca, ours.evaluation_id)
                    for scope in (None, ["U1"]):  # the tallies against a count from the results, in SQL
                        assert unit_rates(ca, ours.evaluation_id, scope) == unit_rates(
                            ca, ours.evaluation_id, scope, from_results=True)
                        assert results.flag_kind_counts(ca, ours.evaluation_id, scope) == results.flag_kind_counts(
                            ca, ours.evaluation_id, scope, from_results=True)
                partial += ours.incremental and ours.judged < sum(whole.statuses.values())
            else:
                for world in worlds:
                    world.apply(step)
    return partial


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(steps=st.lists(changes, min_size=1, max_size=14))
def test_incremental_evaluation_equals_a_whole_one(kind, steps, tmp_path_factory):
    if kind == "postgres" and not _postgres_up():
        if IN_CI:
            pytest.fail("PostgreSQL is not answering at the test URL: in CI its tests never skip")
        pytest.skip("PostgreSQL is not answering at the test URL")
    _replay(kind, tmp_path_factory.mktemp("stores"), steps)


def _postgres_up() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_day_with_few_changes_judges_only_those_cadres(kind, tmp_path):
    """The point of it all: the next day, with one completion, one cadre is judged (plus those whose result
    expired), and the results equal a whole evaluation's all the same."""
    if kind == "postgres" and not _postgres_up():
        if IN_CI:
            pytest.fail("PostgreSQL is not answering at the test URL: in CI its tests never skip")
        pytest.skip("PostgreSQL is not answering at the test URL")
    steps = [("complete", u, 3, date(2026, 2, 1), 90.0) for u in USERS] + [
        ("evaluate",), ("days", 1), ("evaluate",), ("days", 1), ("complete", 12, 4, date(2026, 3, 2), 95.0),
        ("evaluate",)]
    assert _replay(kind, tmp_path, steps) >= 2


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_an_account_skipped_as_a_duplicate_takes_the_cadre_id_its_first_account_leaves(kind, tmp_path):
    """Two Moodle accounts with one cadre id: the first counts. When it leaves the id (deleted, or given another),
    the other account becomes the cadre, though nothing of its own changed."""
    if kind == "postgres" and not _postgres_up():
        if IN_CI:
            pytest.fail("PostgreSQL is not answering at the test URL: in CI its tests never skip")
        pytest.skip("PostgreSQL is not answering at the test URL")
    steps = [("complete", 14, 3, date(2026, 2, 1), 90.0), ("cadre_id", 14, "CD1"), ("evaluate",),
             ("gone", 10, True), ("evaluate",), ("gone", 10, False), ("evaluate",), ("cadre_id", 10, "CD8"),
             ("evaluate",), ("cadre_id", 14, ""), ("evaluate",)]
    assert _replay(kind, tmp_path, steps) >= 4


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_rules_edit_in_one_group_judges_that_groups_cadres(kind, tmp_path):
    """The county leaders' window raised: only cadres of that group are judged again, with the same outcome as a whole
    evaluation; a label renamed judges nobody again."""
    if kind == "postgres" and not _postgres_up():
        if IN_CI:
            pytest.fail("PostgreSQL is not answering at the test URL: in CI its tests never skip")
        pytest.skip("PostgreSQL is not answering at the test URL")
    steps = [("complete", u, 5, date(2026, 2, 1), 90.0) for u in USERS] + [("evaluate",), ("rules", 1)]
    assert _replay(kind, tmp_path, steps) == 1  # the edit's evaluation judged fewer cadres than a whole one


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_after_an_older_versions_evaluation_everyone_is_judged_once_and_the_tallies_kept_from_then_on(kind, tmp_path):
    """An evaluation of a version before 0014 kept no units' tallies: the next judges everyone (and writes them),
    the one after is incremental again."""
    if kind == "postgres" and not _postgres_up():
        if IN_CI:
            pytest.fail("PostgreSQL is not answering at the test URL: in CI its tests never skip")
        pytest.skip("PostgreSQL is not answering at the test URL")
    steps = [("complete", u, 3, date(2026, 2, 1), 90.0) for u in USERS] + [
        ("evaluate",), ("untallied",), ("days", 1), ("complete", 12, 4, date(2026, 3, 2), 95.0), ("evaluate",),
        ("days", 1), ("complete", 13, 4, date(2026, 3, 3), 95.0), ("evaluate",)]
    # Four evaluations (_replay adds one at the end): the first and the one after the older version's are whole.
    assert _replay(kind, tmp_path, steps) == 2


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_judging_everyone_on_several_cores_gives_what_one_process_gives(kind, tmp_path, monkeypatch):
    """Worker processes read and judge the chunks (of 3 cadres here), the evaluation's process posts and writes
    them: the same results, flags, ledger, differences and tallies as judging in one process, evaluation after
    evaluation (the ledger growing, a closed period's differences)."""
    if kind == "postgres" and not _postgres_up():
        if IN_CI:
            pytest.fail("PostgreSQL is not answering at the test URL: in CI its tests never skip")
        pytest.skip("PostgreSQL is not answering at the test URL")
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)
    steps = [("complete", u, 3, date(2026, 2, 1), 90.0) for u in USERS] + [
        ("offline", "CD3", 12.0, date(2026, 2, 10)), ("evaluate",), ("days", 1), ("reset", 12, 3),
        ("complete", 13, 4, date(2026, 3, 2), 95.0), ("adjust", "CD5", 4.0), ("evaluate",), ("close",),
        ("grade", 14, 3, 40.0), ("evaluate",)]
    timings: dict[str, float] = {}
    _replay(kind, tmp_path, steps, mine={"incremental": False, "workers": 2, "chunk": 3, "timings": timings})
    assert "wait for the workers" in timings and "evaluate cadres" not in timings  # the workers judged, not this one


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_unit_whose_cadres_all_left_is_gone_from_its_tallies(kind, tmp_path):
    """Every cadre of the second unit moves to the first: the evaluation ends the unit's tallies and writes none,
    and the figures the pages read (remembered from the evaluation before, with what this one changed) lose it."""
    if kind == "postgres" and not _postgres_up():
        if IN_CI:
            pytest.fail("PostgreSQL is not answering at the test URL: in CI its tests never skip")
        pytest.skip("PostgreSQL is not answering at the test URL")
    odd = [u for u in USERS if u % 2]  # the second unit's (cohort 1 + uid % 2)
    steps = [("complete", u, 3, date(2026, 2, 1), 90.0) for u in USERS] + [("evaluate",)] + [
        ("move", u) for u in odd] + [("evaluate",), ("days", 1), ("move", odd[0]), ("evaluate",)]
    assert _replay(kind, tmp_path, steps) >= 2
