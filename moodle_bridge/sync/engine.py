"""The sync: mirror Moodle into the store, entity by entity, partition by partition.

The rooms: ``runner.py`` (a run's lifecycle, bookmarks, resume, the dry-run transaction, the
partition pool), ``entities/`` (the entity table and one module per entity), ``roads/`` (how
enrolments, users and completions come from Moodle, one module per road). This module walks the
table on the road this site allows, then says what the road could not see.

"Gone" is never inferred from an error: a row is marked gone only when a complete read proves
it (a full list that no longer has it, Moodle answering "not completed", a user lookup that
returns nothing). ``usernotenroled`` for a suspended or expired enrolment means "unknown, keep
the last known value".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC
from functools import partial

from sqlalchemy import Engine

from ..config import Settings
from ..moodle import MoodleClient
from ..store import mirror_reads
from . import roads
from .entities import ENTITIES, SIDE_TABLES, TABLE
from .options import RunSummary, SyncOptions
from .progress import Progress
from .roads import Road
from .runner import Run, StopRequested

__all__ = ["ENTITIES", "RunSummary", "StopRequested", "Sync", "SyncOptions", "summary_lines"]


class Sync:
    def __init__(self, settings: Settings, client: MoodleClient, engine: Engine,
                 progress: Progress | None = None,
                 before_commit: Callable[[str, str], None] | None = None,
                 should_stop: Callable[[], bool] = lambda: False) -> None:
        self.settings = settings
        self.client = client
        self.engine = engine
        self.progress = progress or Progress()
        self._before_commit = before_commit  # test hook: runs inside each partition's transaction
        self._should_stop = should_stop

    def run(self, options: SyncOptions | None = None) -> RunSummary:
        run = Run(self.settings, self.client, self.engine, options or SyncOptions(), self.progress,
                  self._before_commit, self._should_stop)
        return run.execute(lambda: _steps(run))


def _steps(run: Run) -> None:
    """Each wanted entity of the table in order; the road's entities when the table reaches them."""
    functions = run.client.call("core_webservice_get_site_info").function_names
    run.functions = frozenset(functions)
    run.moodle_now = _moodle_clock(run.client)
    road = roads.choose(run.settings, functions)
    run.batched = roads.batched(run.settings, functions)
    run.summary.road = road.name
    road_read = False
    for entity in TABLE:
        if entity.step is None:
            if not road_read:
                road.read(run)
                road_read = True
        elif run.options.wants(entity.name) and entity.enabled(run.settings) and not road.took(entity.name):
            run.guard(entity.name, partial(entity.step, run))
    _count_unseen(run, road)


def _moodle_clock(client: MoodleClient) -> int:
    """Moodle's clock by the Date header of its last answer (ours when it sent none): report filters
    compare Moodle's times, so an incremental read counts from Moodle's clock, not this machine's."""
    when = client.last_server_date
    if when is None:
        return int(time.time())
    return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())


def _count_unseen(run: Run, road: Road) -> None:
    """What this road cannot read, said with a number: Moodle's completion status and grade
    report answer only for active enrolments (completion/classes/external.php checks
    is_enrolled(..., onlyactive=true)); only the completions report shows the others.
    Counted for what this run set out to read, in courses the mirror holds."""
    blind_completions = run.options.wants("completions") and road.cannot_see("completions")
    blind_grades = (run.settings.features.grades and run.options.wants("grades") and road.cannot_see("grades"))
    if not (blind_completions or blind_grades):
        return
    with run.connection() as connection:
        if blind_completions:
            run.summary.unseen["completions"] = mirror_reads.inactive_enrolments(connection,
                                                                                 completion_enabled_only=True)
        if blind_grades:
            run.summary.unseen["grades"] = mirror_reads.inactive_enrolments(connection)


def summary_lines(summary: RunSummary) -> list[tuple[str, dict[str, int]]]:
    """Counts by entity, in the table's order (side tables after)."""
    return [(entity, dict(summary.counts.get(entity, {}))) for entity in (*ENTITIES, *SIDE_TABLES)
            if entity in summary.counts]
