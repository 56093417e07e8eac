"""Answers about one evaluation, remembered: the results and flags an evaluation holds never change once it is
committed (a later evaluation only ends rows after it, ``store/held.py``), so an aggregate over them (the list's
total, the dashboard, the unit names) is computed once per store, evaluation and question, not on every request
(issue 11: 100,000 cadres, 50 staff).

The key always holds the evaluation's id and its ``created_at`` (an id SQLite gives again after a rolled-back
evaluation is another evaluation), and whatever else the answer depends on (the scope, the filters, the review
states a filter reads). Kept per engine (forgotten with it), at most ``SIZE`` answers, the least recently asked
dropped first."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, select

from ..store.schema import evaluations

T = TypeVar("T")
SIZE = 512

_answers: WeakKeyDictionary[Engine, OrderedDict[Hashable, Any]] = WeakKeyDictionary()
_lock = threading.Lock()


def evaluation_key(connection: Connection, question: str, evaluation_id: int, *parts: Hashable) -> tuple[Hashable, ...]:
    """The key of an answer to ``question`` about evaluation ``evaluation_id``: with its id and ``created_at``, then
    whatever else the answer depends on (``parts``)."""
    made = connection.execute(select(evaluations.c.created_at).where(evaluations.c.id == evaluation_id)).scalar()
    return (question, evaluation_id, made, *parts)


def recall(connection: Connection, key: Hashable) -> Any:
    """The answer remembered under ``key`` for this connection's store, or None (nothing is computed)."""
    with _lock:
        answers = _answers.get(connection.engine)
        if answers is None or key not in answers:
            return None
        answers.move_to_end(key)
        return answers[key]


def remembered(connection: Connection, key: Hashable, compute: Callable[[], T]) -> T:
    """The answer remembered under ``key`` for this connection's store, else ``compute()`` (then remembered).
    Never inside a transaction that has written (an answer about rows that may yet roll back): the caller reads."""
    with _lock:
        answers = _answers.setdefault(connection.engine, OrderedDict())
        if key in answers:
            answers.move_to_end(key)
            found: T = answers[key]
            return found
    answer = compute()  # outside the lock: two first askers may both compute, and agree
    with _lock:
        answers[key] = answer
        while len(answers) > SIZE:
            answers.popitem(last=False)
    return answer
