"""doctor: the function check, the data probes that catch hidden capability gaps, exit codes."""

from __future__ import annotations

import json
from datetime import UTC
from urllib.parse import parse_qsl

import pytest
import responses
from click.testing import CliRunner

from moodle_bridge.cli import main
from moodle_bridge.config import Settings
from moodle_bridge.doctor import choose_completion_road, clock_skew, run_doctor
from moodle_bridge.moodle import MoodleClient, RetryPolicy
from moodle_bridge.store import connect, upgrade
from tests.conftest import FIXTURES, load_fixture

URL = "https://moodle.test"
ENDPOINT = URL + "/webservice/rest/server.php"


def recorded_answers() -> dict[str, object]:
    """A recorded success per function (the main file of each)."""
    answers = {}
    for path in FIXTURES.glob("*.json"):
        if path.name not in ("INDEX.json", "functions.json"):
            recording = json.loads(path.read_text())
            answers[recording["function"]] = recording["response"]
    return answers


class RoutedMoodle:
    """Answers by function from the recordings, with per-test overrides."""

    def __init__(self, overrides: dict[str, object] | None = None, drop_functions: set[str] = frozenset()):
        self.answers = recorded_answers()
        self.answers.update(overrides or {})
        site = json.loads(json.dumps(self.answers["core_webservice_get_site_info"]))
        if "functions" in site:
            site["functions"] = [f for f in site["functions"] if f["name"] not in drop_functions]
        self.answers["core_webservice_get_site_info"] = site
        self.seen: list[str] = []

    def __call__(self, request):
        form = dict(parse_qsl(request.body))
        function = form["wsfunction"]
        self.seen.append(function)
        if function == "tool_mobile_call_external_functions":
            inner = [v for k, v in sorted(form.items()) if k.endswith("[function]")]
            return 200, {}, json.dumps({"responses": [
                {"error": False, "data": json.dumps(self.answers[name])} for name in inner]})
        return 200, {"Date": "Sat, 21 Nov 2026 06:00:00 GMT"}, json.dumps(self.answers[function])


@pytest.fixture
def store(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    return engine


def doctor_with(moodle: RoutedMoodle, store, **moodle_settings):
    settings = Settings(moodle={"url": URL, "completions_report_id": 2, **moodle_settings})
    client = MoodleClient(URL, "t0ken", retry=RetryPolicy(attempts=1), sleep=lambda s: None)
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, ENDPOINT, callback=moodle)
        return run_doctor(settings, client, store)


def statuses(report) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


def test_ready_when_everything_answers(store):
    """Everything answers; only the clock (a fixed Date header, long past) is flagged."""
    report = doctor_with(RoutedMoodle(), store)
    assert report.ready, report.checks
    assert report.site["release"] == "5.1+ (Build: 20251017)" and report.site["token_user"] == "bridge"
    assert report.completion_road == "report"
    assert all(f.present for f in report.functions)
    # RoutedMoodle's Date header is fixed in the past: the skew is large and flagged.
    assert report.clock_skew_s is not None and report.clock_skew_s < -60
    assert statuses(report)["clock"] == "warn"


def test_missing_function_fails_and_says_what_it_disables(store):
    report = doctor_with(RoutedMoodle(drop_functions={"core_enrol_get_enrolled_users"}), store)
    assert not report.ready
    missing = [f for f in report.functions if not f.present]
    assert [(f.name, f.needed_for) for f in missing] == [
        ("core_enrol_get_enrolled_users", "sync of cadres and enrolments")]


def test_missing_optional_road_only_warns_and_picks_the_next_road(store):
    moodle = RoutedMoodle(drop_functions={"core_reportbuilder_retrieve_report", "core_reportbuilder_list_reports"})
    report = doctor_with(moodle, store)
    assert report.ready and report.completion_road == "batch"


@pytest.mark.parametrize("function, check", [
    ("core_course_get_categories", "categories"),
    ("core_user_get_users_by_field", "cadre profiles"),
    ("core_enrol_get_enrolled_users", "participants"),
])
def test_an_empty_answer_that_must_hold_data_fails(store, function, check):
    report = doctor_with(RoutedMoodle(overrides={function: []}), store)
    assert statuses(report)[check] == "fail" and not report.ready


def test_site_course_alone_means_no_visible_courses(store):
    only_site = [c for c in recorded_answers()["core_course_get_courses"] if c["id"] == 1] or [
        {**recorded_answers()["core_course_get_courses"][0], "id": 1, "format": "site"}]
    report = doctor_with(RoutedMoodle(overrides={"core_course_get_courses": only_site}), store)
    assert statuses(report)["courses"] == "fail"


def test_capability_error_in_a_probe_fails_with_moodles_words(store):
    error = load_fixture("errors/no_capability_retrieve_report.json")["response"]
    report = doctor_with(RoutedMoodle(overrides={"core_reportbuilder_retrieve_report": error}), store)
    check = next(c for c in report.checks if c.name == "completions report")
    assert check.status == "fail" and "errorreportview" in check.detail


def test_invalid_token_stops_early(store):
    error = load_fixture("errors/invalid_token.json")["response"]
    report = doctor_with(RoutedMoodle(overrides={"core_webservice_get_site_info": error}), store)
    assert statuses(report)["connection"] == "fail" and not report.ready


def test_unmigrated_store_fails(tmp_path):
    report = doctor_with(RoutedMoodle(), connect(f"sqlite:///{tmp_path / 'empty.db'}"))
    check = next(c for c in report.checks if c.name == "store")
    assert check.status == "fail" and "db upgrade" in check.detail


def test_a_store_newer_than_the_code_is_never_told_to_migrate(tmp_path):
    import sqlalchemy as sa

    from moodle_bridge.store import upgrade

    engine = connect(f"sqlite:///{tmp_path / 'newer.db'}")
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dfacef00d'"))
    check = next(c for c in doctor_with(RoutedMoodle(), engine).checks if c.name == "store")
    assert check.status == "fail" and "newer than this moodle_bridge" in check.detail
    assert "db upgrade" not in check.detail


def test_pure_helpers():
    from datetime import datetime

    assert choose_completion_road(True, True) == "report"
    assert choose_completion_road(False, True) == "batch"
    assert choose_completion_road(False, False) == "per_enrolment"
    now = datetime(2026, 11, 21, 6, 0, 0, tzinfo=UTC)
    assert clock_skew(datetime(2026, 11, 21, 6, 2, 0, tzinfo=UTC), now) == 120.0
    assert clock_skew(None, now) is None


def test_cli_against_recordings_exits_0_with_json(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["doctor", "--against-fixtures", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ready"] is True and data["site"]["version"] == "2025100600.02"
    assert data["completion_road"] == "report"


def test_cli_exit_1_when_not_ready_and_2_on_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "moodle_bridge.toml").write_text(f'[moodle]\nurl = "{URL}"\n[store]\nurl = "sqlite:///s.db"\n')
    monkeypatch.setenv("MOODLE_BRIDGE_MOODLE__TOKEN", "t0ken")
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, ENDPOINT, callback=RoutedMoodle())
        result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 1 and "db upgrade" in result.output  # store not migrated
    assert CliRunner().invoke(main, ["doctor", "--no-such-flag"]).exit_code == 2
    monkeypatch.delenv("MOODLE_BRIDGE_MOODLE__TOKEN")
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 2 and "MOODLE_BRIDGE_MOODLE__TOKEN" in result.output


@pytest.mark.parametrize("date_header", [
    "Sat, 21 Nov 2026 06:00:00 GMT, Sat, 21 Nov 2026 06:00:00 GMT",  # sent twice, joined: parses without a zone
    "Sat, 21 Nov 2026 06:00:00 -0000",  # 'zone unknown': parses without a zone
])
def test_a_date_header_without_a_zone_is_taken_as_utc_never_a_crash(store, date_header):
    """Issue 11, item 6: `can't subtract offset-naive and offset-aware datetimes` crashed doctor."""
    from datetime import datetime

    class ZonelessDate(RoutedMoodle):
        def __call__(self, request):
            status, _headers, body = super().__call__(request)
            return status, {"Date": date_header}, body

    report = doctor_with(ZonelessDate(), store)
    assert report.ready, report.checks
    assert report.clock_skew_s is not None and report.clock_skew_s < -60  # the same fixed past date, read as UTC
    assert statuses(report)["clock"] == "warn"
    # The pure helper too, whichever side lacks the zone.
    now = datetime(2026, 11, 21, 6, 0, 0, tzinfo=UTC)
    assert clock_skew(datetime(2026, 11, 21, 6, 1, 0), now) == 60.0
    assert clock_skew(datetime(2026, 11, 21, 6, 1, 0, tzinfo=UTC), now.replace(tzinfo=None)) == 60.0


def test_a_password_in_the_moodle_address_is_never_printed_by_a_failing_doctor(store):
    """Issue 11, item 10: doctor printed the moodle.url it could not reach, credentials included."""
    from moodle_bridge.moodle import MoodleClient

    client = MoodleClient("http://admin:hunter2@127.0.0.1:9", "t0ken", retry=RetryPolicy(attempts=1),
                          sleep=lambda s: None)
    report = run_doctor(Settings(moodle={"url": URL}), client, store)
    connection = next(c for c in report.checks if c.name == "connection")
    assert connection.status == "fail" and "127.0.0.1:9" in connection.detail
    assert "hunter2" not in connection.detail and "admin" not in repr(client)


def _cohorts_with_parents(parents: dict[str, str | None], field: str = "parent_unit") -> list[dict[str, object]]:
    """Cohorts shaped as core_cohort_get_cohorts answers them, each unit naming its parent in a text custom field."""
    return [{"id": n, "name": f"Unit {code}", "idnumber": code, "description": "", "descriptionformat": 1,
             "visible": True, "theme": "", "customfields": [
                 {"name": "Parent unit", "shortname": field, "type": "text", "valueraw": parent or "",
                  "value": parent or ""}]} for n, (code, parent) in enumerate(parents.items(), start=1)]


def _tree_doctor(store, cohorts, source: str = "cohort_field"):
    from moodle_bridge.rules.sections import Cadres

    cadres = Cadres.model_validate({"unit": {"source": "cohort", "tree": {"source": source}}})
    settings = Settings(moodle={"url": URL, "completions_report_id": 2})
    client = MoodleClient(URL, "t0ken", retry=RetryPolicy(attempts=1), sleep=lambda s: None)
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, ENDPOINT,
                          callback=RoutedMoodle(overrides={"core_cohort_get_cohorts": cohorts}))
        report = run_doctor(settings, client, store, cadres)
    return next(c for c in report.checks if c.name == "unit tree"), report


def test_doctor_checks_the_unit_tree_the_rules_describe_in_moodles_cohorts(store):
    three = {"CTY": None, "T1": "CTY", "T2": "CTY", "T1-O1": "T1"}
    check, report = _tree_doctor(store, _cohorts_with_parents(three))
    assert (check.status, check.detail) == ("ok", "4 units in 3 levels, 1 at the top") and report.ready
    check, report = _tree_doctor(store, _cohorts_with_parents({**three, "T2": "NOWHERE"}))
    assert check.status == "fail" and "NOWHERE" in check.detail and not report.ready
    check, _report = _tree_doctor(store, _cohorts_with_parents({"A": "B", "B": "A"}))
    assert check.status == "fail" and "circle" in check.detail
    check, _report = _tree_doctor(store, _cohorts_with_parents(three, field="other"))
    assert check.status == "fail" and "custom field 'parent_unit'" in check.detail
    check, _report = _tree_doctor(store, _cohorts_with_parents({"CTY": None, "CTY-T1": None, "CTY-T1-O1": None}),
                                  source="code_prefix")
    assert (check.status, check.detail) == ("ok", "3 units in 3 levels, 1 at the top")


def test_doctor_says_the_units_are_flat_without_a_tree(store):
    check = next(c for c in doctor_with(RoutedMoodle(), store).checks if c.name == "unit tree")
    assert check.status == "ok" and "flat" in check.detail
