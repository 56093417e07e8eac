"""The entity table and the roads: the shape adding an entity or a road relies on."""

from __future__ import annotations

import pytest

from moodle_bridge.config import Settings
from moodle_bridge.moodle import MoodleError
from moodle_bridge.sync import ENTITIES
from moodle_bridge.sync.entities import TABLE
from moodle_bridge.sync.roads import ApiRoad, ReportRoad, Road, batched, choose

URL = "https://moodle.example.org"


def test_the_public_entity_names_are_the_tables_in_order():
    assert ENTITIES == ("categories", "courses", "cohorts", "enrolments", "users", "completions", "grades",
                        "activity_completions", "feedback")
    assert tuple(e.name for e in TABLE) == ENTITIES


def test_every_entity_comes_after_what_it_needs():
    seen: set[str] = set()
    for entity in TABLE:
        assert set(entity.needs) <= seen, (entity.name, set(entity.needs) - seen)
        seen.add(entity.name)


def test_a_feature_switch_names_a_real_setting():
    settings = Settings(moodle={"url": URL})
    for entity in TABLE:
        if entity.feature is not None:
            assert hasattr(settings.features, entity.feature), entity.name


def test_the_road_reads_the_rows_without_a_step():
    assert {e.name for e in TABLE if e.step is None} == {"enrolments", "users", "completions"}


REPORT_AND_BATCH = frozenset({"core_reportbuilder_retrieve_report", "tool_mobile_call_external_functions"})


@pytest.mark.parametrize(("wanted", "report_id", "functions", "road", "batch"), [
    ("auto", 2, REPORT_AND_BATCH, "report", True),
    ("auto", None, REPORT_AND_BATCH, "batch", True),
    ("auto", None, frozenset(), "per_enrolment", False),
    ("per_enrolment", 2, REPORT_AND_BATCH, "per_enrolment", False),
    ("batch", None, REPORT_AND_BATCH, "batch", True),
])
def test_choose_a_road(wanted, report_id, functions, road, batch):
    settings = Settings(moodle={"url": URL, "completions_report_id": report_id}, sync={"completion_road": wanted})
    chosen = choose(settings, functions)
    assert isinstance(chosen, Road) and chosen.name == road
    assert isinstance(chosen, ReportRoad if road == "report" else ApiRoad)
    assert batched(settings, functions) is batch


@pytest.mark.parametrize(("wanted", "report_id"), [("report", None), ("batch", 2)])
def test_a_road_the_site_does_not_allow_is_a_configuration_error(wanted, report_id):
    settings = Settings(moodle={"url": URL, "completions_report_id": report_id}, sync={"completion_road": wanted})
    with pytest.raises(MoodleError, match=wanted):
        choose(settings, frozenset())


def test_what_each_road_cannot_see():
    assert ApiRoad("batch").cannot_see("completions") and ApiRoad("batch").cannot_see("grades")
    report = ReportRoad()
    assert not report.cannot_see("completions") and report.cannot_see("grades")
    report.has_grade = True
    assert not report.cannot_see("grades")
