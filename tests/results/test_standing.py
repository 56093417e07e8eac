"""A flagged requirement's standing on the training file, read back from what the evaluation stored."""

from __future__ import annotations

from datetime import UTC, date, datetime

from moodle_bridge.results import CadreResult, Evaluation, Flag
from moodle_bridge.results.standing import flag_status
from moodle_bridge.rules.sections import Organisation

EVALUATION = Evaluation(1, "2026", date(2026, 11, 21), "r", "e", datetime(2026, 11, 21, tzinfo=UTC), {})
CADRE = CadreResult(1, "A", 1, "A", "U1", "Unit", ["township"], "non_compliant", 10.0, 0.0, 90.0)
LATE = Flag("completed_late", "groups.township.requirements[2]", "township",
            {"due": "2026-06-30", "required": ["Party history"], "missing": [], "missing_ids": [], "need": "all",
             "late": [{"course": "Party history", "completed": "2026-07-15"}]})
OVERDUE = Flag("overdue_required_course", "groups.township.requirements[3]", "township",
               {"due": "2026-06-30", "required": ["Law"], "missing": ["Law"], "missing_ids": [2], "need": "all"})


def test_a_late_completion_stands_at_risk_beside_a_non_compliant_flag():
    # the cadre is non-compliant (the overdue course) and both flags' due days are past: only the overdue one is
    assert flag_status(OVERDUE, CADRE, 2, EVALUATION, Organisation()) == "non_compliant"
    assert flag_status(LATE, CADRE, 2, EVALUATION, Organisation()) == "at_risk"
