"""The interface every completion road implements.

A road reads the entities the entity table leaves to it (enrolments, users, completions) and, if
it can, more (the report's Grade column brings grades). Roads differ in what Moodle lets them see:
the web service functions answer for active enrolments only, the completions report for all.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..runner import Run


class Road(ABC):
    name: str  # as in settings.sync.completion_road and the run summary

    @abstractmethod
    def read(self, run: Run) -> None:
        """Read what the run wants of this road's entities, each entity's step through ``run.guard``."""

    def took(self, entity: str) -> bool:
        """Whether this run's road read ``entity`` too, so the entity's own step is skipped."""
        return False

    @abstractmethod
    def cannot_see(self, entity: str) -> bool:
        """Whether ``entity``'s rows of inactive enrolments (suspended, ended, not yet started) are
        out of this road's sight; known once ``read`` has run."""
