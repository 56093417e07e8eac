"""The demo shows everything: every status and every kind of flag of the registry, exemptions, make-up after a
promotion and after a shortfall, a withdrawn offline row, the five-year window, training files of ordinary cadres,
and the review page on its results. One demo run (the small county) serves every test of the module."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from moodle_bridge import results
from moodle_bridge.reports.plain import FLAG_KINDS
from moodle_bridge.rules import STATUSES
from moodle_bridge.services import demo
from moodle_bridge.simulator.showcase import county
from moodle_bridge.store import connect
from moodle_bridge.store.schema import credit_entries, exemptions, offline_records


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    said: list[str] = []
    done = demo.run_demo("small", folder, say=said.append)
    engine = connect(f"sqlite:///{done.store}")
    yield done, engine, said
    engine.dispose()


def latest_flags(engine):
    with engine.connect() as connection:
        return results.flags(connection, results.latest(connection).id)


def latest_results(engine):
    with engine.connect() as connection:
        return results.results_by_cadre(connection, results.latest(connection).id)


def test_every_status_and_every_flag_kind_of_the_registry_appears(run):
    done, engine, _said = run
    assert FLAG_KINDS  # the registry's kinds, whatever they are when the test runs
    assert {s for s, n in done.statuses.items() if n} == set(STATUSES)
    assert set(done.flag_kinds) == set(FLAG_KINDS)
    assert {f.kind for f in latest_flags(engine)} == set(FLAG_KINDS)


def test_cadres_are_exempt_in_full_and_pro_rated(run):
    _done, engine, _said = run
    with engine.connect() as connection:
        stored = connection.execute(sa.select(exemptions.c.cadre_id, exemptions.c.effect)).all()
    found = latest_results(engine)
    full = [cadre for cadre, effect in stored if effect == "full"]
    pro_rated = [cadre for cadre, effect in stored if effect == "prorate"]
    assert full and all(found[c].status == "exempt" for c in full)
    # A pro-rated cadre owes a share of the year's 40 hours, and is judged, not exempt.
    assert pro_rated and all(found[c].status != "exempt" and 0 < found[c].required_hours < 40 for c in pro_rated)


def test_make_up_is_owed_after_a_promotion_and_after_last_years_shortfall(run):
    _done, engine, said = run
    after = {f.evidence["after"] for f in latest_flags(engine) if f.kind == "makeup_due"}
    assert after == {"promotion", "shortfall"}
    with engine.connect() as connection:
        assert results.evaluation(connection, "2025") is not None  # the year-end evaluation the shortfall is from
    assert any("2025" in line and "make-up" in line for line in said)


def test_the_year_is_evaluated_quarter_by_quarter_on_moodle_as_it_was_then(run):
    _done, engine, said = run
    with engine.connect() as connection:
        points = results.trend(connection, results.latest(connection))
    assert [p.day.isoformat() for p in points] == ["2026-03-31", "2026-06-30", "2026-09-30", "2026-11-21"]
    assert points[0].rate < points[1].rate < points[2].rate < points[3].rate  # completions come in through the year
    assert sum("completion rate" in line for line in said) == 4


def test_an_offline_row_entered_twice_is_withdrawn_and_its_credit_reversed(run):
    _done, engine, said = run
    with engine.connect() as connection:
        withdrawn = connection.execute(sa.select(offline_records).where(
            offline_records.c.withdrawn_at.is_not(None))).one()
        twin = connection.execute(sa.select(offline_records).where(
            offline_records.c.cadre_id == withdrawn.cadre_id, offline_records.c.start == withdrawn.start,
            offline_records.c.id != withdrawn.id)).one()
        reversed_ = connection.execute(sa.select(credit_entries).where(
            credit_entries.c.source == f"offline:{withdrawn.id}", credit_entries.c.kind == "reversal")).all()
    assert twin.withdrawn_at is None and twin.reference in withdrawn.withdraw_reason
    assert twin.training == withdrawn.training and twin.reference != withdrawn.reference
    assert len(reversed_) == 1
    assert any("withdrawn" in line and withdrawn.withdraw_reason in line for line in said)


def test_county_leaders_are_judged_on_their_five_year_window(run):
    _done, engine, _said = run
    leaders = [r for r in latest_results(engine).values() if r.groups == ["county_leaders"]]
    flagged = {f.cadre_id for f in latest_flags(engine) if f.kind == "window_shortfall"}
    assert leaders and flagged <= {r.cadre_id for r in leaders}
    with engine.connect() as connection:
        years = {p for (p,) in connection.execute(sa.select(credit_entries.c.period).where(
            credit_entries.c.cadre_id.in_([r.cadre_id for r in leaders])).distinct())}
    assert {"2023", "2024", "2025", "2026"} <= years


def test_the_training_files_shown_are_of_ordinary_cadres(run):
    done, engine, _said = run
    found = latest_results(engine)
    kinds: dict[str, set[str]] = {}
    for flag in latest_flags(engine):
        kinds.setdefault(flag.cadre_id, set()).add(flag.kind)
    ordinary, leader = done.samples
    site = county("small").site
    users = {u.idnumber: u for u in site.users.values()}
    for cadre_id in done.samples:
        result, user = found[cadre_id], users[cadre_id]
        assert result.status not in ("exempt", "suspended") and kinds.get(cadre_id)
        assert re.fullmatch(r"[A-Za-z]+ [A-Za-z]+", result.name), result.name  # no markup, no test account
        assert user.username == cadre_id.lower() and not user.suspended
        assert result.hours_online > 0 and result.hours_offline > 0  # courses and offline training
        page = (done.store.parent / f"training-file-{cadre_id}.html").read_text(encoding="utf-8")
        assert result.name in page
        assert (done.store.parent / f"training-file-{cadre_id}.pdf").read_bytes().startswith(b"%PDF")
    assert found[ordinary].groups == ["township_and_below"] and found[leader].groups == ["county_leaders"]


def test_the_review_page_opens_on_the_demo_with_an_account_made_for_the_run(run):
    done, engine, _said = run
    page = demo.review_page(done.store, "en")
    assert page.username == demo.DEMO_ACCOUNT and len(page.password) >= 12
    client = TestClient(page.app, follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    wrong = client.post("/login", data={"csrf": token, "username": page.username, "password": "demo"})
    assert wrong.status_code == 401
    signed_in = client.post("/login", data={"csrf": token, "username": page.username, "password": page.password})
    assert signed_in.status_code == 303, signed_in.text
    cadre = client.get(f"/cadres/{done.samples[0]}")
    assert cadre.status_code == 200 and latest_results(engine)[done.samples[0]].name in cadre.text


def test_demo_rules_stop_when_the_example_no_longer_holds_what_they_change(tmp_path, monkeypatch):
    example = tmp_path / "rules.example.yaml"
    example.write_text(demo.EXAMPLE_RULES.read_text(encoding="utf-8").replace("hours: 90", "hours: 120"))
    monkeypatch.setattr(demo, "EXAMPLE_RULES", example)
    with pytest.raises(demo.TemplateChanged, match="min_hours"):
        demo.write_demo_rules(tmp_path / "rules.yaml")


def test_the_year_end_assessment_ranks_the_units_with_scores_explained_target_by_target(run):
    done, engine, said = run
    from moodle_bridge.results.assessment import year_assessment

    with engine.connect() as connection:
        assessed = year_assessment(connection)
    scored = [u for u in assessed.units if u.score is not None]
    # the towns scored, ranked by score, first; the units without targets listed after them: the county, the town
    # group above the towns (their figures rolled up along the demo's unit tree) and the county's leadership
    assert len(scored) >= 10 and assessed.units[:len(scored)] == scored
    unscored = {u.name: u.standing for u in assessed.units[len(scored):]}
    assert unscored == {"The County": "no_targets", "Towns": "no_targets",
                        "County Committee and Government": "no_targets"}
    assert [u.score for u in scored] == sorted((u.score for u in scored), reverse=True) and scored[0].rank == 1
    met = [t.met for u in scored for t in u.targets]
    assert True in met and False in met
    # the towns' own trainings count for them
    assert any(t.target == "organised_trainings" and t.actual and t.actual > 0 for u in scored for t in u.targets)
    page = (done.store.parent / "assessment.html").read_text(encoding="utf-8")
    assert "Year-end target assessment of units" in page and scored[0].name in page
    assert f"Score: {scored[-1].score:.1f} of 100." in page and "achieved" in page
    assert (done.store.parent / "assessment.xlsx").stat().st_size > 0
    assert any("Imported the targets of" in line for line in said)


def test_the_course_evaluation_report_shows_per_course_ratings(run):
    """Issue 15, item 4's done-when: the demo syncs Moodle's Feedback answers and its course evaluation shows each
    evaluated course's ratings; its training needs place named answers only."""
    done, engine, _said = run
    from moodle_bridge.results.feedback import course_evaluations, training_needs

    with engine.connect() as connection:
        evaluated = course_evaluations(connection)
        needs = training_needs(connection)
    rated = [c for c in evaluated.courses if c.responses]
    assert len(rated) >= 5 and any(c.anonymous == c.responses for c in rated)  # some questionnaires anonymous
    assert all([q.label for q in c.questions] == ["teaching", "content", "usefulness"] for c in rated)
    assert all(q.count and q.mean is not None and 1 <= q.mean <= 5 and sum(q.distribution) == q.count
               for c in rated for q in c.questions)
    folder = done.store.parent
    page = (folder / "course-evaluation.html").read_text(encoding="utf-8")
    assert "<h1>Course evaluation</h1>" in page
    for course in rated:  # each course, with its ratings' mean
        assert course.course in page and f"{course.questions[0].mean:.2f}" in page
    assert folder / "course-evaluation.xlsx" in done.written and (folder / "course-evaluation.xlsx").stat().st_size
    assert needs.anonymous and needs.named and sum(u.responses for u in needs.by_unit) == needs.named - needs.unplaced
    assert "Training needs" in (folder / "training-needs.html").read_text(encoding="utf-8")
    assert folder / "training-needs.xlsx" in done.written
