"""From Moodle to flags through the command line: sync, import, evaluate, flags, ledger, closing."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner

from moodle_bridge.cli import main
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def site_dir(tmp_path, monkeypatch):
    moodle = SimulatedMoodle(generate("small"))
    shutil.copy(ROOT / "config/rules.example.yaml", tmp_path / "rules.yaml")
    (tmp_path / "moodle_bridge.toml").write_text(
        f'[moodle]\nurl = "{moodle.siteurl}"\ncompletions_report_id = 3\n'
        f'[store]\nurl = "sqlite:///{tmp_path}/store.db"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MOODLE_BRIDGE_MOODLE__TOKEN", "simulated-token")
    monkeypatch.setenv("COLUMNS", "200")  # rich tables: no wrapping in the captured output
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        assert runner.invoke(main, ["sync", "--full"]).exit_code == 0
    return tmp_path, moodle, runner


def invoke(runner, *args):
    result = runner.invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_evaluate_flags_and_the_ledger(site_dir):
    path, moodle, runner = site_dir
    out = invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    assert "Evaluation 1: period 2026, as of 2026-11-21" in out
    again = invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    assert "0 ledger entries posted" in again  # evaluating twice posts nothing the second time

    flags = json.loads(invoke(runner, "flags", "--format", "json"))
    assert flags and {f["kind"] for f in flags} <= {
        "insufficient_hours", "insufficient_online_hours", "missing_required_course", "overdue_required_course",
        "required_reading_missing", "failed_assessment", "window_shortfall", "makeup_due", "completed_late"}
    by_unit = json.loads(invoke(runner, "flags", "--format", "json", "--unit", flags[0]["unit_code"]))
    assert by_unit and all(f["unit_code"] == flags[0]["unit_code"] for f in by_unit)

    csv_bytes = runner.invoke(main, ["flags", "--format", "csv"]).stdout_bytes
    assert csv_bytes.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Cadre ID", "Name", "Unit"] and len(rows) == len(flags) + 1
    invoke(runner, "flags", "--format", "xlsx", "--output", str(path / "flags.xlsx"))
    from openpyxl import load_workbook

    sheet = load_workbook(path / "flags.xlsx").active
    assert sheet.max_row == len(flags) + 1 and sheet.freeze_panes == "A2"

    # A Moodle reset reaches the ledger as a reversal; nothing is edited in place.
    completed = sorted(k for k, p in moodle.site.progress.items()
                       if p.timecompleted and moodle.site.users[k[1]].idnumber
                       and k in moodle.site.enrolments)[0]
    cadre = moodle.site.users[completed[1]].idnumber
    before = invoke(runner, "credits", "show", cadre)
    moodle.site.reset_completion(*completed)
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        invoke(runner, "sync")
    assert "1 ledger entries posted" in invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    after = invoke(runner, "credits", "show", cadre)
    assert "reversal" in after and after.count("credit") == before.count("credit")

    diff = json.loads(invoke(runner, "flags", "--format", "json", "--diff"))
    assert all(f["change"] in ("new", "resolved") for f in diff)


def test_offline_import_is_idempotent_and_withdraw_reverses(site_dir):
    path, _moodle, runner = site_dir
    invoke(runner, "credits", "template", "--output", "offline.csv", "--lang", "zh_CN")
    template = (path / "offline.csv").read_text(encoding="utf-8-sig")
    (path / "offline.csv").write_text(
        template + "CD260001,党校春季班,县委党校,2026-03-02,2026-03-06,5,,0,党校,PS-1\r\n", encoding="gb18030")
    assert "1 rows imported, 0 already" in invoke(runner, "credits", "import", "offline.csv")
    assert "0 rows imported, 1 already" in invoke(runner, "credits", "import", "offline.csv")
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    assert "+37.50" in invoke(runner, "credits", "show", "CD260001")  # 5 days x 7.5 hours
    invoke(runner, "credits", "withdraw", "1", "--reason", "entered twice by mistake")
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    assert "-37.50" in invoke(runner, "credits", "show", "CD260001")
    assert "sports day" in (invoke(runner, "credits", "adjust", "CD260001", "4", "--reason", "sports day",
                                   "--period", "2026") + invoke(runner, "credits", "show", "CD260001"))


def test_a_bad_import_imports_nothing(site_dir):
    path, _moodle, runner = site_dir
    (path / "bad.csv").write_text("cadre id,training name,start,end,days\r\nCD1,X,2026-01-01,2026-01-02,1\r\n"
                                  ",Y,2026-01-01,2026-01-02,1\r\n", encoding="utf-8")
    result = runner.invoke(main, ["credits", "import", "bad.csv"])
    assert result.exit_code == 2 and "bad.csv:3: no cadre id" in result.output


def test_an_import_naming_cadres_the_mirror_lacks_is_one_refusal_not_a_traceback(site_dir):
    path, _moodle, runner = site_dir
    (path / "ghost.csv").write_text("cadre id,training name,start,end,days\r\nNOSUCH9,X,2026-01-01,2026-01-02,1\r\n",
                                    encoding="utf-8")
    result = runner.invoke(main, ["credits", "import", "ghost.csv"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)  # refused, not raised
    assert "Nothing was imported" in result.output and "NOSUCH9" in result.output
    (path / "ghost-ex.csv").write_text("cadre id,reason,from,to,effect\r\nNOSUCH9,leave,2026-01-01,2026-02-01,full\r\n",
                                       encoding="utf-8")
    result = runner.invoke(main, ["exemptions", "import", "ghost-ex.csv"])
    assert result.exit_code == 2 and "NOSUCH9" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("hours", ["inf", "nan", "-inf", "1e308"])
def test_a_manual_adjustment_must_be_a_finite_number_of_hours(site_dir, hours):
    _path, _moodle, runner = site_dir
    result = runner.invoke(main, ["credits", "adjust", "CD260002", hours, "--reason", "x", "--period", "2026"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)


def test_a_closed_period_reports_differences_instead_of_changing(site_dir):
    _path, moodle, runner = site_dir
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    invoke(runner, "period", "close", "2026")
    completed = sorted(k for k, p in moodle.site.progress.items() if p.timecompleted
                       and moodle.site.users[k[1]].idnumber and k in moodle.site.enrolments)[0]
    moodle.site.reset_completion(*completed)
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        invoke(runner, "sync")
    out = invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    assert "0 ledger entries posted; 1 differences in closed periods" in out
    again = invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    assert "0 differences" in again  # reported once, waiting for a decision
    assert "waiting" in invoke(runner, "period", "differences", "2026")
    invoke(runner, "period", "decide", "1", "accept")
    assert "accepted" in invoke(runner, "period", "differences")
    cadre = moodle.site.users[completed[1]].idnumber
    assert "post-closing difference 1 accepted" in invoke(runner, "credits", "show", cadre)
    assert "0 differences" in invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")


def test_rules_errors_exit_2_with_file_and_line(site_dir):
    path, _moodle, runner = site_dir
    (path / "broken.yaml").write_text("groups:\n  x:\n    label: X\n    select: {rank: staff}\n"
                                      "    requirements:\n      - {kind: min_hours, hours: -1}\n")
    result = runner.invoke(main, ["rules", "check", "broken.yaml"])
    assert result.exit_code == 2 and "broken.yaml:6 groups.x.requirements[0].hours" in result.output


def test_exemptions_from_the_file_and_imports_share_one_table(site_dir):
    import sqlalchemy as sa

    from moodle_bridge.store.schema import evaluations, exemptions

    path, _moodle, runner = site_dir
    rules = (path / "rules.yaml").read_text().replace(
        "exemptions: []",
        'exemptions:\n  - {cadre_id: CD260002, reason: long illness, from: "2026-01-01", to: "2026-12-31", '
        'effect: full}')
    (path / "rules.yaml").write_text(rules)
    (path / "ex.csv").write_text("cadre id,reason,from,to,effect\r\nCD260003,secondment,2026-01-01,2026-06-30,"
                                 "prorate\r\n", encoding="utf-8")
    assert "1 exemptions imported" in invoke(runner, "exemptions", "import", "ex.csv")
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    engine = sa.create_engine(f"sqlite:///{path}/store.db")
    with engine.connect() as c:
        rows = {(r.cadre_id, r.source, r.withdrawn_at is None) for r in c.execute(sa.select(exemptions))}
        first_hash = c.execute(sa.select(evaluations.c.exemptions_hash).order_by(evaluations.c.id.desc())).scalar()
    assert rows == {("CD260002", "rules", True), ("CD260003", "import", True)}
    (path / "rules.yaml").write_text(rules.split("exemptions:")[0] + "exemptions: []\n")  # removed from the file
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    with engine.connect() as c:
        rows = {(r.cadre_id, r.source, r.withdrawn_at is None) for r in c.execute(sa.select(exemptions))}
        second_hash = c.execute(sa.select(evaluations.c.exemptions_hash).order_by(evaluations.c.id.desc())).scalar()
    assert rows == {("CD260002", "rules", False), ("CD260003", "import", True)} and first_hash != second_hash
    engine.dispose()


def test_evaluating_in_chunks_gives_what_one_chunk_gives(site_dir):
    import sqlalchemy as sa

    from moodle_bridge.services.evaluation import evaluate
    from moodle_bridge.services.rules_file import load_rules
    from moodle_bridge.store.held import held_in
    from moodle_bridge.store.schema import evaluation_flags, evaluation_results

    path, _moodle, _runner = site_dir
    engine = sa.create_engine(f"sqlite:///{path}/store.db")
    rules = load_rules(path / "rules.yaml")
    whole = evaluate(engine, rules, "2026", __import__("datetime").date(2026, 11, 21), chunk=100_000)
    pieces = evaluate(engine, rules, "2026", __import__("datetime").date(2026, 11, 21), chunk=7,
                      incremental=False)  # every cadre judged again, 7 at a time (nothing changed since)
    assert pieces.posted == 0 and whole.posted > 0  # the first posted everything, the second nothing
    assert pieces.judged == whole.judged > 0  # both judged every cadre
    assert (pieces.statuses, pieces.flags) == (whole.statuses, whole.flags)
    with engine.connect() as c:
        def results(evaluation_id):
            return sorted((r.cadre_id, r.status, r.hours_online, r.hours_offline) for r in c.execute(
                sa.select(evaluation_results).where(held_in(evaluation_results, evaluation_id))))

        def flags(evaluation_id):
            return sorted((r.cadre_id, r.kind, r.rule) for r in c.execute(
                sa.select(evaluation_flags).where(held_in(evaluation_flags, evaluation_id))))

        assert results(whole.evaluation_id) == results(pieces.evaluation_id)
        assert flags(whole.evaluation_id) == flags(pieces.evaluation_id)
    engine.dispose()


def test_make_up_after_a_shortfall_needs_the_previous_period_evaluated(site_dir):
    _path, _moodle, runner = site_dir
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    first = json.loads(invoke(runner, "flags", "--format", "json", "--kind", "makeup_due"))
    assert first == []  # nobody evaluated 2025: no shortfall is known
    invoke(runner, "evaluate", "--period", "2025", "--as-of", "2026-01-05")  # 2025 over, its results stored
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    owed = json.loads(invoke(runner, "flags", "--format", "json", "--kind", "makeup_due"))
    assert owed and all(f["evidence"]["after"] == "shortfall" and f["evidence"]["due"] == "2026-07-01" for f in owed)


def test_a_second_evaluation_judges_only_whom_it_must_unless_told_full(site_dir):
    _path, _moodle, runner = site_dir
    first = invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    assert "Every cadre judged" in first  # nothing to start from
    second = invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    judged, total = (int(n) for n in re.search(r"(\d+) of (\d+) cadres judged again", second).groups())
    assert judged < total
    assert "Every cadre judged" in invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21", "--full")


def test_evaluate_refuses_to_run_beside_a_running_pipeline(site_dir):
    """Two evaluations at once would both end the results they hold and both write their own (and their units'
    tallies): the command takes the store's lock, as a sync does, and says so when another run has it."""
    from moodle_bridge.store import connect
    from moodle_bridge.store.lock import StoreLock

    path, _moodle, runner = site_dir
    with StoreLock(connect(f"sqlite:///{path}/store.db")):
        refused = runner.invoke(main, ["evaluate", "--period", "2026", "--as-of", "2026-11-21"])
    assert refused.exit_code == 1 and "Another run is using the store" in refused.output
    assert "Evaluation 1" in invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")  # the first
