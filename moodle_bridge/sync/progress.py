"""Progress of a sync: a rich bar per entity on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from rich.progress import TaskID

log = structlog.get_logger("moodle_bridge.sync")


class Progress:
    """Silent: for tests and dry runs inside other commands."""

    def start(self, entity: str, total: int) -> None: ...

    def advance(self, entity: str, amount: int = 1) -> None: ...

    def finish(self, entity: str, counts: dict[str, int]) -> None: ...

    def close(self) -> None: ...


class LogProgress(Progress):
    def start(self, entity: str, total: int) -> None:
        log.info("sync.entity_started", entity=entity, partitions=total)

    def finish(self, entity: str, counts: dict[str, int]) -> None:
        log.info("sync.entity_done", entity=entity, **counts)


class RichProgress(Progress):
    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bars

        self._bars = Bars(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), transient=False)
        self._tasks: dict[str, TaskID] = {}
        self._bars.start()

    def start(self, entity: str, total: int) -> None:
        self._tasks[entity] = self._bars.add_task(entity, total=max(total, 1))

    def advance(self, entity: str, amount: int = 1) -> None:
        if entity in self._tasks:
            self._bars.advance(self._tasks[entity], amount)

    def finish(self, entity: str, counts: dict[str, int]) -> None:
        if entity in self._tasks:
            task = self._tasks[entity]
            self._bars.update(task, completed=self._bars.tasks[task].total)

    def close(self) -> None:
        self._bars.stop()


def for_terminal() -> Progress:
    return RichProgress() if sys.stderr.isatty() else LogProgress()
