"""An evaluation that judges everyone, on every core: worker processes read each chunk's completions and ledger
entries and judge it (``judging.judge``); the evaluation's own process posts and writes what they return, in its one
transaction, chunk after chunk in order, while they judge the next.

Why the workers may read on their own connections: judging everyone, the evaluation has posted nothing yet for the
chunk a worker reads (each cadre is in one chunk), and the rest of what it wrote first (the rules file's exemptions)
it sends them. What they read is committed, as its own reads under READ COMMITTED (PostgreSQL) or beside its write
transaction (SQLite's write-ahead log) would be: a sync committed meanwhile is seen as the evaluation would see it,
and its changes are recorded for the next evaluation all the same (PostgreSQL; SQLite has one writer at a time).
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from sqlalchemy import URL, Connection, Engine

from ..rules.facts import CadreFacts, CompletionFact
from ..rules.ledger import Entry
from ..store import evaluation_io as store
from ..store import ledger_io as ledger
from .judging import Facts, Judged, Shared, judge

PARALLEL_FROM = 50_000  # cadres to judge: below, starting the workers costs more than they save
CORES = 4  # at most: the evaluation's own process and the database want a core too


def default_workers() -> int:
    """One a core this process may run on (a container's or taskset's, not the machine's), at most ``CORES``; none
    on a single core."""
    cores = len(os.sched_getaffinity(0))
    return 0 if cores < 2 else min(CORES, cores)


def worth_it(connection: Connection, cadres: int, workers: int | None) -> bool:
    """Whether to judge in worker processes: enough cadres, a worker at least, and a store the workers can read
    beside this connection's write transaction: PostgreSQL, or a SQLite file in write-ahead-log mode (in any other
    mode the writer locks its readers out; an in-memory database is this connection's alone)."""
    if cadres < PARALLEL_FROM or _count(workers) < 1:
        return False
    if connection.dialect.name == "sqlite":
        files = [row[2] for row in connection.exec_driver_sql("PRAGMA database_list") if row[1] == "main"]
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        return bool(files and files[0]) and str(mode).lower() == "wal"
    return True


def _count(workers: int | None) -> int:
    return default_workers() if workers is None else workers


def read_chunk(connection: Connection, group: Sequence[CadreFacts]) -> tuple[dict[int, list[CompletionFact]],
                                                                             list[Entry]]:
    """What a chunk is judged from besides the facts read once for everyone: its completions (by user) and its
    ledger entries so far. The evaluation's own process reads it so when it judges alone."""
    return (store.load_completions(connection, [c.user_id for c in group], CompletionFact),
            ledger.load_ledger(connection, [c.cadre_id for c in group], Entry))


_worker: dict[str, Any] = {}


def _start(url: URL, shared: Shared) -> None:
    from ..store import connect

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the evaluation's to handle: it stops the workers
    _worker["engine"], _worker["shared"] = connect(url), shared


def _judge_chunk(group: Sequence[CadreFacts], facts: Facts) -> Judged:
    with _worker["engine"].connect() as connection:
        completions, entries_so_far = read_chunk(connection, group)
    return judge(_worker["shared"], facts, group, completions, entries_so_far)


def judge_in_parallel(engine: Engine, shared: Shared, facts: Facts, chunks: Sequence[Sequence[CadreFacts]],
                      workers: int | None, keep: Callable[[Judged], None]) -> None:
    """Judge ``chunks`` in worker processes, and ``keep`` each one's outcome in chunk order. One chunk a worker and
    one more are in flight (memory stays bounded: the outcomes wait here to be kept, at 100,000 cadres two chunks a
    worker doubled this process's peak). A worker's failure is raised here: the evaluation rolls back."""
    count = max(1, _count(workers))
    # spawn: a worker starts clean, without a copy of this process's open database connection. The URL goes to it
    # as a URL (its password prints as ***), through a pipe, never on a command line.
    pool = ProcessPoolExecutor(count, mp_context=get_context("spawn"), initializer=_start,
                               initargs=(engine.url, shared))
    try:
        pending: deque[Future[Judged]] = deque()
        for group in chunks:
            pending.append(pool.submit(_judge_chunk, group, facts.part(group)))
            if len(pending) > count:
                keep(pending.popleft().result())
        while pending:
            keep(pending.popleft().result())
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # the chunks not started are dropped: the evaluation rolls back
        raise
    pool.shutdown(wait=True)
