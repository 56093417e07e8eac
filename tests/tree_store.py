"""A store with a three-level unit tree, evaluated for real: the county (with its own cadre), two townships, and two
offices under the first township. The tree comes from the units' cohorts, each naming its parent's Cohort ID in the
cohort custom field ``parent_unit``, as the README tells a Moodle administrator to set it up.

    CTY  County Government            cadre C0
    ├── T1   Datang Town              cadre T1a
    │   ├── T1-O1  Datang Party Office    cadres O1a, O1b
    │   └── T1-O2  Datang Finance Office  cadre O2a
    └── T2   Xinxing Town             cadres T2a, T2b
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Engine

from moodle_bridge.rules.loader import LoadedRules, parse_rules
from moodle_bridge.services.evaluation import evaluate
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import mirror_cohort_members, mirror_cohorts, mirror_users

RULES = Path(__file__).parents[1] / "config" / "rules.example.yaml"
UNITS = [  # id, code, name, parent
    (1, "CTY", "County Government", None),
    (2, "T1", "Datang Town", "CTY"),
    (3, "T2", "Xinxing Town", "CTY"),
    (4, "T1-O1", "Datang Party Office", "T1"),
    (5, "T1-O2", "Datang Finance Office", "T1"),
]
CADRES = [  # user id, cadre id, name, unit code
    (10, "C0", "County Head", "CTY"),
    (11, "T1a", "Town One", "T1"),
    (12, "O1a", "Office One A", "T1-O1"),
    (13, "O1b", "Office One B", "T1-O1"),
    (14, "O2a", "Office Two A", "T1-O2"),
    (15, "T2a", "Town Two A", "T2"),
    (16, "T2b", "Town Two B", "T2"),
]
BELOW = {"CTY": {"CTY", "T1", "T2", "T1-O1", "T1-O2"}, "T1": {"T1", "T1-O1", "T1-O2"}, "T2": {"T2"},
         "T1-O1": {"T1-O1"}, "T1-O2": {"T1-O2"}}
AS_OF = date(2026, 6, 30)


def tree_rules(source: str = "cohort_field") -> LoadedRules:
    text = RULES.read_text().replace(
        "  unit: {source: cohort}", f"  unit: {{source: cohort, tree: {{source: {source}, field: parent_unit}}}}")
    assert any(line.startswith(f"  unit: {{source: cohort, tree: {{source: {source},") for line in text.splitlines())
    return parse_rules(text, "rules.yaml")


def tree_store(where: Path | str, evaluated: bool = True) -> Engine:
    """The store at ``where`` (a SQLite file's path, or a URL), its mirror holding the units and the cadres;
    evaluated as of AS_OF."""
    engine = connect(where if isinstance(where, str) else f"sqlite:///{where}")
    upgrade(engine)
    ids = {code: cohort_id for cohort_id, code, _name, _parent in UNITS}
    with engine.begin() as c:
        c.execute(sa.insert(mirror_cohorts), [
            {"id": cohort_id, "name": name, "idnumber": code, "visible": True,
             "customfields": {"parent_unit": parent} if parent else None}
            for cohort_id, code, name, parent in UNITS])
        c.execute(sa.insert(mirror_users), [
            {"id": uid, "username": f"u{uid}", "idnumber": None, "firstname": name, "lastname": "", "email": None,
             "department": None, "suspended": False, "cadre_id": cadre_id,
             "profile": {"cadre_id": cadre_id, "rank": "staff", "category": "civil_servant"}}
            for uid, cadre_id, name, _unit in CADRES])
        c.execute(sa.insert(mirror_cohort_members), [{"cohort_id": ids[unit], "user_id": uid}
                                                     for uid, _cadre, _name, unit in CADRES])
    if evaluated:
        evaluate(engine, tree_rules(), "2026", AS_OF)
    return engine


def cadres_below(code: str) -> set[str]:
    """The cadre ids of a unit and of the units below it."""
    return {cadre_id for _uid, cadre_id, _name, unit in CADRES if unit in BELOW[code]}
