"""The entity table: what the sync mirrors, in the order it runs, and what each entity needs.

Adding an entity is one module here (its ``sync(run)`` step: read Moodle in partitions, write the
mirror) and one row below, with the words administrators read for it (its mirror table is declared in
``store/schema.py``, with a migration). A row without a step is read by the completion road
(``sync/roads/``), which decides how and in which order for its entities.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...config import Settings
from ...i18n import N_
from ..runner import Run
from . import activity_completions, categories, cohorts, courses, feedback, grades, users

Step = Callable[[Run], None]


@dataclass(frozen=True)
class Entity:
    name: str
    label: str  # what administrators read for it (an N_ marker, translated where shown)
    step: Step | None  # None: read by the completion road
    needs: tuple[str, ...] = ()  # read before it; when one failed, its scope may be incomplete
    feature: str | None = None  # the settings.features switch that turns it on; None: always on

    def enabled(self, settings: Settings) -> bool:
        return self.feature is None or bool(getattr(settings.features, self.feature))


TABLE: tuple[Entity, ...] = (
    Entity("categories", N_("categories"), categories.sync),
    Entity("courses", N_("courses"), courses.sync),
    Entity("cohorts", N_("units (cohorts)"), cohorts.sync),
    Entity("enrolments", N_("enrolments"), None, needs=("courses",)),
    Entity("users", N_("cadres and users"), None, needs=users.SCOPE),
    Entity("completions", N_("course completions"), None, needs=("courses", "enrolments", "users")),
    Entity("grades", N_("final grades"), grades.sync, needs=("courses", "enrolments"), feature="grades"),
    Entity("activity_completions", N_("activity completions"), activity_completions.sync,
           needs=("courses", "enrolments"), feature="activity_completions"),
    Entity("feedback", feedback.LABEL, feedback.sync, needs=("courses",), feature="feedback"),
)
ENTITIES = tuple(entity.name for entity in TABLE)
# Written alongside an entity, counted apart: cohort members come with cohorts.
SIDE_TABLES = {"cohort_members": N_("unit members")}
SIDE_TABLES |= feedback.SIDE  # Feedback activities and their responses come with the feedback entity
LABELS = {**{entity.name: entity.label for entity in TABLE}, **SIDE_TABLES}
