"""The one read model of evaluation results: every question the CLI, the reports and the review page ask.

The answers are typed (`answers`), with no rendering and no labels: how a status or a flag reads to people is
presentation (`reports.plain`). Every function takes an open connection (the caller owns it); `units`, where a
function takes it, is a reviewer's scope (`scope`): the unit codes they may see, None for every unit.

- which evaluation (`evaluations`): `evaluation`, `latest`, `latest_evaluations`, `last_sync`; `trend` (the rate
  through a period)
- flags (`by_flag`): `flags` (filtered by unit, group, kind), `flag_diff` (new and resolved between two
  evaluations), `cadre_flags`, `flagged` (the flagged cadres grouped by unit), `results_by_cadre`,
  `flags_for_actions` (the latest evaluation's flagged cadres the write-backs act on), `flagged_users`
- units (`by_unit`): `unit_rates`, `rolled_rates` (each unit with the units below it), `units` (ranked, with the
  change since the previous evaluation and the total),
  `flag_kind_counts`, `dashboard`, `unit_names`; read from the units' tallies each evaluation keeps (`tallies`: a
  row a unit), or for an older version's evaluation from its results
- the unit tree (`tree`): `unit_tree` (an evaluation's), `reach` (a reviewer's units with those below them)
- the year-end summary (`summary`): `year_summary`
- cadres (`by_cadre`): `flagged_cadres` and `flagged_page` (the review page's list: scoped, filtered, sorted,
  paged), `cadre_result`, `cadre_file` and `unit_files` (training files: credits named by `sources`, requirements
  named by the rules that judged (`judged_rules`) and where they stand (`standing`)), `cadre_ledger` (the ledger's
  one reader), `review_states`, `review_history`
"""

from .answers import (
    REVIEW_STATES,
    CadreFile,
    CadreFlags,
    CadrePage,
    CadreQuery,
    CadreResult,
    CreditLine,
    Dashboard,
    Evaluation,
    ExemptionInForce,
    Flag,
    FlagDiff,
    FlagFilter,
    FlaggedByUnit,
    FlaggedCadre,
    FlaggedUnit,
    FlagRow,
    LedgerEntry,
    MakeUpOwed,
    NoEvaluation,
    RequirementStanding,
    ReviewedCadre,
    ReviewEvent,
    ReviewState,
    ShortCadre,
    Source,
    TrendPoint,
    UnitRate,
    UnitRates,
    WindowYears,
    YearSummary,
)
from .by_cadre import (
    SORTS,
    cadre_file,
    cadre_ledger,
    cadre_result,
    flagged_cadres,
    flagged_page,
    review_history,
    review_states,
    unit_files,
)
from .by_flag import cadre_flags, flag_diff, flagged, flagged_users, flags, flags_for_actions, results_by_cadre
from .by_unit import dashboard, flag_kind_counts, rolled_rates, unit_names, unit_rates, units
from .evaluations import evaluation, last_sync, latest, latest_evaluations, trend
from .judged_rules import judged_rules
from .scope import Scope
from .sources import cadre_sources
from .summary import year_summary
from .tree import reach, unit_tree

__all__ = [
    "REVIEW_STATES",
    "SORTS",
    "CadreFile",
    "CadreFlags",
    "CadrePage",
    "CadreQuery",
    "CadreResult",
    "CreditLine",
    "Dashboard",
    "Evaluation",
    "ExemptionInForce",
    "Flag",
    "FlagDiff",
    "FlagFilter",
    "FlagRow",
    "FlaggedByUnit",
    "FlaggedCadre",
    "FlaggedUnit",
    "LedgerEntry",
    "MakeUpOwed",
    "NoEvaluation",
    "RequirementStanding",
    "ReviewEvent",
    "ReviewState",
    "ReviewedCadre",
    "Scope",
    "ShortCadre",
    "Source",
    "TrendPoint",
    "UnitRate",
    "UnitRates",
    "WindowYears",
    "YearSummary",
    "cadre_file",
    "cadre_flags",
    "cadre_ledger",
    "cadre_result",
    "cadre_sources",
    "dashboard",
    "evaluation",
    "flag_diff",
    "flag_kind_counts",
    "flagged",
    "flagged_cadres",
    "flagged_page",
    "flagged_users",
    "flags",
    "flags_for_actions",
    "judged_rules",
    "last_sync",
    "latest",
    "latest_evaluations",
    "reach",
    "results_by_cadre",
    "review_history",
    "review_states",
    "rolled_rates",
    "trend",
    "unit_files",
    "unit_names",
    "unit_rates",
    "unit_tree",
    "units",
    "year_summary",
]
