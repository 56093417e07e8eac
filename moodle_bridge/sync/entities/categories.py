"""Course categories: a small set, read whole; a category absent from the read is gone."""

from __future__ import annotations

from sqlalchemy import Connection

from ...moodle.models import Category
from ...store import mirror
from ...store.diff import Changes
from ...store.schema import mirror_categories
from ..rows import category_row
from ..runner import Partition, Run


def sync(run: Run) -> None:
    run.progress.start("categories", 1)

    def apply(connection: Connection, categories: list[Category]) -> dict[str, Changes]:
        fresh = {c.id: category_row(c) for c in categories}
        return {"categories": mirror.refresh(connection, mirror_categories, fresh, "deleted")}

    run.partition("categories", Partition("all", lambda: run.client.call("core_course_get_categories"), apply))
