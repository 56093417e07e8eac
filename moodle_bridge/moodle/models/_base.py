"""Common ground of the response models.

Every model ignores keys it does not know, so a newer Moodle that adds a key never breaks a sync.
Each model lists the keys it knowingly leaves out (``ignored_keys``); the contract tests check
that every key of the real recordings is either a field or listed there, so nothing is dropped
by accident.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class MoodleModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    ignored_keys: ClassVar[frozenset[str]] = frozenset()


class Warning(MoodleModel):
    """An item of the ``warnings`` list many functions return next to their data."""

    warningcode: str
    message: str
    item: str | None = None
    itemid: int | None = None


class WarningsOnly(MoodleModel):
    """Functions that answer nothing but a warnings list (e.g. ``core_user_update_users``)."""

    warnings: list[Warning] = []


class CustomField(MoodleModel):
    """A course or cohort custom field: ``value`` is a display string, ``valueraw`` the stored value."""

    shortname: str
    name: str
    type: str
    value: str | None
    valueraw: str | int | float | None
