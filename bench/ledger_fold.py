"""Would folding the ledger in SQL pay? Reads a kept benchmark store's ledger three ways (issue 13, item 2).

    .venv/bin/python bench/ledger_fold.py --cadres 100000      # the store evaluate_province.py kept on PostgreSQL

1. every entry as an object, as an evaluation reads it (``ledger_io.load_ledger``);
2. folded in Python as the postings and the judging fold it (``standing_of``: a standing per cadre, source and
   period; ``credits_of``: the credits per cadre);
3. a GROUP BY per cadre, period and online/offline in SQL: the sums a fold in SQL would give.

It prints the seconds of each and how many (cadre, source, period) keys the ledger has: the grain the postings
compare at, which no GROUP BY coarser than it can serve.
"""

from __future__ import annotations

import argparse
import time

import sqlalchemy as sa

from moodle_bridge.rules.ledger import Entry, credits_of, standing_of
from moodle_bridge.store import connect, ledger_io
from moodle_bridge.store.schema import credit_entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=100_000)
    parser.add_argument("--url", help="the store (default: evaluate_province.py's PostgreSQL store of --cadres)")
    args = parser.parse_args()
    url = args.url or f"postgresql+psycopg://postgres@127.0.0.1:5432/moodle_bridge_bench_{args.cadres}"
    engine = connect(url)
    e = credit_entries.c
    with engine.connect() as c:
        ids = list(c.execute(sa.select(e.cadre_id).distinct()).scalars())
        started = time.perf_counter()
        entries = ledger_io.load_ledger(c, ids, Entry)
        read = time.perf_counter() - started
        started = time.perf_counter()
        standing_of(entries)
        credits_of(entries)
        folded = time.perf_counter() - started
        started = time.perf_counter()
        sums = c.execute(sa.select(e.cadre_id, e.period, e.online, sa.func.sum(e.hours))
                         .group_by(e.cadre_id, e.period, e.online)).all()
        grouped = time.perf_counter() - started
        keys = c.execute(sa.select(sa.func.count()).select_from(
            sa.select(e.cadre_id, e.source, e.period).group_by(e.cadre_id, e.source, e.period).subquery())).scalar()
    engine.dispose()
    print(f"{len(ids):,} cadres, {len(entries):,} entries, {keys:,} (cadre, source, period) keys")
    print(f"read as objects {read:.1f} s; folded in Python (standing, credits) {folded:.1f} s; "
          f"GROUP BY cadre, period, online in SQL {grouped:.1f} s ({len(sums):,} rows)")


if __name__ == "__main__":
    main()
