"""Cohorts and their members: read whole; a cohort or a membership absent from the read is gone."""

from __future__ import annotations

from sqlalchemy import Connection

from ...moodle import Call, MoodleError
from ...moodle.models import Cohort, CohortMembers
from ...store import mirror
from ...store.diff import Changes
from ...store.schema import mirror_cohort_members, mirror_cohorts
from ..rows import cohort_row
from ..runner import Partition, Run

MEMBERS_PER_CALL = 100  # cohorts asked about in one members call

Cohorts = tuple[list[Cohort], list[CohortMembers]]  # the cohorts, their members


def sync(run: Run) -> None:
    run.progress.start("cohorts", 1)

    def fetch() -> Cohorts:
        cohorts = run.client.call("core_cohort_get_cohorts")
        ids = [c.id for c in cohorts]
        calls = [Call("core_cohort_get_cohort_members", {"cohortids": ids[i:i + MEMBERS_PER_CALL]})
                 for i in range(0, len(ids), MEMBERS_PER_CALL)]
        members: list[CohortMembers] = []
        for answer in run.client.call_many(calls):
            if isinstance(answer, MoodleError):
                raise answer
            members.extend(answer)
        return cohorts, members

    def apply(connection: Connection, data: Cohorts) -> dict[str, Changes]:
        cohorts, members = data
        fresh = {c.id: cohort_row(c) for c in cohorts}
        links = {(m.cohortid, u): {"cohort_id": m.cohortid, "user_id": u} for m in members for u in m.userids}
        return {"cohorts": mirror.refresh(connection, mirror_cohorts, fresh, "deleted"),
                "cohort_members": mirror.refresh(connection, mirror_cohort_members, links, "left")}

    run.partition("cohorts", Partition("all", fetch, apply))
