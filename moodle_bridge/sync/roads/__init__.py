"""The completion roads, one module each behind ``base.Road``; ``choose`` picks this run's."""

from __future__ import annotations

from ...config import Settings
from ...moodle import MoodleError
from .api import ApiRoad
from .base import Road
from .report import ReportRoad

__all__ = ["ApiRoad", "ReportRoad", "Road", "batched", "choose"]


def batched(settings: Settings, functions: frozenset[str]) -> bool:
    """Whether per-enrolment calls go batched, whatever the road (the report road makes some too)."""
    return ("tool_mobile_call_external_functions" in functions and settings.moodle.batch_size > 0
            and settings.sync.completion_road != "per_enrolment")


def choose(settings: Settings, functions: frozenset[str]) -> Road:
    """The configured road, or with "auto" the best the site allows; a road the site does not
    allow is a configuration error (a failed run, said in one line)."""
    wanted = settings.sync.completion_road
    report_ok = (settings.moodle.completions_report_id is not None
                 and "core_reportbuilder_retrieve_report" in functions)
    batch_ok = "tool_mobile_call_external_functions" in functions and settings.moodle.batch_size > 0
    if wanted == "auto":
        wanted = "report" if report_ok else "batch" if batch_ok else "per_enrolment"
    elif wanted == "report" and not report_ok:
        raise MoodleError("completion_road = \"report\" needs moodle.completions_report_id and "
                          "core_reportbuilder_retrieve_report in the service")
    elif wanted == "batch" and not batch_ok:
        raise MoodleError("completion_road = \"batch\" needs tool_mobile_call_external_functions in the service")
    return ReportRoad() if wanted == "report" else ApiRoad(wanted)
