"""One sync run: its lifecycle, its bookmarks, the dry-run transaction and the partition pool.

Each partition reads Moodle first (outside any transaction), then writes its rows, its bookmark
and the run's counts in ONE transaction. A run killed at any instant leaves whole partitions
only; the next start resumes the unfinished run and skips the partitions it bookmarked.

A dry run keeps one transaction for the whole run, rolled back at the end: later steps see what
earlier steps would have written, and nothing is kept (no run row, no bookmark).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

import structlog
from sqlalchemy import Connection, Engine, RootTransaction

from ..config import Settings
from ..moodle import MoodleClient, MoodleError
from ..store import mirror
from ..store.diff import Changes
from .options import RunSummary, SyncOptions
from .progress import Progress
from .report import ReportLayoutError, ReportUnstable

log = structlog.get_logger("moodle_bridge.sync")

T = TypeVar("T")
# What fails an entity (and the run) but not the process: said in one line, never a traceback.
STEP_FAILURES = (MoodleError, ReportUnstable, ReportLayoutError)


class StopRequested(BaseException):
    """Asked to stop (SIGTERM): raised between partitions; the run stays resumable."""


@dataclass(frozen=True)
class Partition(Generic[T]):
    """The unit of work and of resume: ``fetch`` reads Moodle (on the pool), ``apply`` writes the
    mirror in the partition's transaction and says what changed, by entity."""

    key: str
    fetch: Callable[[], T]
    apply: Callable[[Connection, T], dict[str, Changes]]


@dataclass(frozen=True)
class _Recorded:
    """A run kept in ``sync_runs``: each partition commits on its own, with its bookmark."""

    run_id: int


@dataclass(frozen=True)
class _Dry:
    """A dry run: one connection and one transaction, rolled back at the end."""

    connection: Connection
    transaction: RootTransaction


class Run:
    """What every step works through: the settings, the client, the options, the summary, and
    partitions written the run's way (recorded or dry)."""

    def __init__(self, settings: Settings, client: MoodleClient, engine: Engine, options: SyncOptions,
                 progress: Progress, before_commit: Callable[[str, str], None] | None = None,
                 should_stop: Callable[[], bool] = lambda: False) -> None:
        self.settings = settings
        self.client = client
        self.engine = engine
        self.options = options
        self.progress = progress
        self.summary = RunSummary(None, "full" if options.full else "incremental", dry_run=options.dry_run)
        self.done: set[tuple[str, str]] = set()  # (entity, partition) bookmarked, this run or before a resume
        self.failed: set[str] = set()  # entities whose step failed
        self.batched = False  # per-enrolment calls go batched (decided with the road)
        self.functions: frozenset[str] = frozenset()  # the service's functions (known once the run starts)
        self.moodle_now = 0  # Moodle's clock when the run started (its Date header), Unix seconds
        self._before_commit = before_commit  # test hook: runs inside each partition's transaction
        self._should_stop = should_stop
        self._mode: _Recorded | _Dry | None = None

    # --- the lifecycle ---------------------------------------------------------------------------

    def execute(self, steps: Callable[[], None]) -> RunSummary:
        """Start (or resume) the run, do the steps, finish it; the summary says how it went."""
        started, requests_before = datetime.now(UTC), self.client.requests_sent
        self._mode = self._begin()
        ended = False  # False after a crash or an interrupt: the run stays "running", to be resumed
        try:
            steps()
            ended = True
        except (MoodleError, ReportLayoutError) as exc:
            # Moodle down, the token refused, the road misconfigured: a failed run, said in one
            # line by the caller; never a traceback.
            self.summary.errors.append(str(exc))
            log.info("sync.failed", error=str(exc))
            ended = True
        except Exception as exc:
            self.summary.errors.append(f"{type(exc).__name__}: {exc}")
            ended = True
            raise
        finally:
            mode, self._mode = self._mode, None
            if isinstance(mode, _Dry):
                mode.transaction.rollback()
                mode.connection.close()
            self.summary.requests = self.client.requests_sent - requests_before
            self.summary.seconds = (datetime.now(UTC) - started).total_seconds()
            if ended and isinstance(mode, _Recorded):
                with self.engine.begin() as connection:
                    mirror.finish_run(connection, mode.run_id, "succeeded" if self.summary.ok else "failed",
                                      "; ".join(self.summary.errors)[:4000] or None)
            self.progress.close()
        return self.summary

    def _begin(self) -> _Recorded | _Dry:
        if self.options.dry_run:
            connection = self.engine.connect()
            return _Dry(connection, connection.begin())
        with self.engine.begin() as connection:
            previous = mirror.running_run(connection)
            if previous is None:
                run_id = mirror.start_run(connection, self.summary.kind)
            else:
                run_id = int(previous["id"])
                self.summary.kind, self.summary.resumed = previous["kind"], True
                self.options.full = self.options.full or previous["kind"] == "full"  # what it set out to do
                self.done = mirror.done_partitions(connection, run_id)
                log.info("sync.resuming", run_id=run_id, partitions_done=len(self.done))
        self.summary.run_id = run_id
        return _Recorded(run_id)

    def guard(self, entity: str, step: Callable[[], None]) -> None:
        """Run one entity's step; a Moodle failure fails the entity (and the run), not the process."""
        try:
            step()
        except STEP_FAILURES as exc:
            self.failed.add(entity)
            self.summary.errors.append(f"{entity}: {exc}")
            log.error("sync.entity_failed", entity=entity, error=str(exc))
        finally:
            self.progress.finish(entity, dict(self.summary.counts.get(entity, {})))

    # --- reads and partitions ----------------------------------------------------------------------

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection for reads; in a dry run, the run's one transaction, so later steps see what
        earlier steps would have written."""
        if isinstance(self._mode, _Dry):
            yield self._mode.connection
        else:
            with self.engine.connect() as connection:
                yield connection

    def partition(self, entity: str, work: Partition[T]) -> None:
        self.partitions(entity, [work])

    def partitions(self, entity: str, work: Sequence[Partition[T]]) -> None:
        """Fetch partitions from Moodle on the bounded pool, a few ahead; apply them in order here.

        Reads overlap (Moodle serves several requests at once); writes stay on this thread, one
        transaction per partition, in a fixed order.
        """
        pending = [p for p in work if (entity, p.key) not in self.done]
        self.progress.advance(entity, len(work) - len(pending))
        if not pending:
            return
        if isinstance(self._mode, _Dry):
            for p in pending:
                self._commit(entity, p, p.fetch())
            return
        ahead = max(1, self.settings.moodle.concurrency)
        with ThreadPoolExecutor(max_workers=ahead, thread_name_prefix=f"sync-{entity}") as pool:
            futures: dict[str, Future[T]] = {}
            for index, p in enumerate(pending):
                for later in pending[index: index + ahead * 2]:  # keep the pool busy, memory bounded
                    if later.key not in futures:
                        futures[later.key] = pool.submit(later.fetch)
                self._commit(entity, p, futures.pop(p.key).result())

    def _commit(self, entity: str, work: Partition[T], data: T) -> None:
        if self._should_stop():
            raise StopRequested(f"stopped before {entity} {work.key}")
        mode = self._mode
        if isinstance(mode, _Dry):
            results = work.apply(mode.connection, data)
        elif isinstance(mode, _Recorded):
            results = self._commit_recorded(mode.run_id, entity, work, data)
        else:
            raise RuntimeError("a partition outside a run")
        for name, changes in results.items():
            self.summary.add(name, changes)
        self.done.add((entity, work.key))
        self.progress.advance(entity)

    def _commit_recorded(self, run_id: int, entity: str, work: Partition[T], data: T) -> dict[str, Changes]:
        """Rows, bookmark and counts in one transaction."""
        with self.engine.connect() as connection:
            transaction = connection.begin()
            try:
                results = work.apply(connection, data)
                mirror.mark_done(connection, run_id, entity, work.key)
                for name, changes in results.items():
                    mirror.add_counts(connection, run_id, name, changes.counts())
                if self._before_commit:
                    self._before_commit(entity, work.key)
                transaction.commit()
            except BaseException:
                if transaction.is_active:
                    transaction.rollback()
                raise
        return results
