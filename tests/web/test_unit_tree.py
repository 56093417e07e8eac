"""A reviewer's units are subtrees (issue 14): a township's reviewer sees its offices' cadres through every route and
export, and nothing of the county above it or of the township beside it; an admin sees everything."""

from __future__ import annotations

import csv
import io

import pytest
from starlette.testclient import TestClient

from moodle_bridge.web import accounts
from moodle_bridge.web.app import create_app

from ..tree_store import BELOW, CADRES, UNITS, cadres_below, tree_store
from .conftest import PASSWORD
from .test_access import client_for, csrf_of


@pytest.fixture
def tree_app(tmp_path):
    engine = tree_store(tmp_path / "store.db")
    accounts.add(engine, "admin", PASSWORD, "admin", [])
    accounts.add(engine, "township", PASSWORD, "reviewer", ["T1"])
    accounts.add(engine, "office", PASSWORD, "reviewer", ["T1-O1"])
    yield create_app(engine, "test-secret-key")
    engine.dispose()


SEES = {"admin": BELOW["CTY"], "township": BELOW["T1"], "office": BELOW["T1-O1"]}


def _export_ids(client: TestClient, query: str = "") -> set[str]:
    answer = client.get(f"/flags/export.csv{query}")
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    header = next(n for n, row in enumerate(rows) if any(cell in ("Cadre ID", "干部编号") for cell in row))
    column = rows[header].index("Cadre ID") if "Cadre ID" in rows[header] else rows[header].index("干部编号")
    return {row[column] for row in rows[header + 1:] if len(row) > column and row[column]}


@pytest.mark.parametrize("who", sorted(SEES))
def test_every_route_keeps_a_reviewer_to_their_subtree(tree_app, who):
    client = client_for(tree_app, who)
    seen_units, seen_cadres = SEES[who], {c for _u, c, _n, unit in CADRES if unit in SEES[who]}
    dashboard = client.get("/").text
    for _id, code, _name, _parent in UNITS:
        assert (f"/flags?unit={code}\"" in dashboard) == (code in seen_units), (who, code)
    flags = client.get("/flags").text
    for _uid, cadre_id, _name, _unit in CADRES:
        assert (f"/cadres/{cadre_id}\"" in flags) == (cadre_id in seen_cadres), (who, cadre_id)
        assert client.get(f"/cadres/{cadre_id}").status_code == (200 if cadre_id in seen_cadres else 404)
        assert client.get(f"/cadres/{cadre_id}/file.html").status_code == (200 if cadre_id in seen_cadres else 404)
        reviewed = client.post(f"/cadres/{cadre_id}/review", data={"csrf": csrf_of(client), "action": "reviewed"})
        assert reviewed.status_code == (303 if cadre_id in seen_cadres else 404), (who, cadre_id)
    assert _export_ids(client) == seen_cadres
    for code in BELOW:
        files = client.get(f"/units/{code}/files.html")
        assert files.status_code == (200 if code in seen_units else 404), (who, code)
        if code in seen_units:  # a unit's files hold its cadres and those of the units below it
            assert {c for _u, c, _n, _unit in CADRES if f"<td>{c}</td>" in files.text} == cadres_below(code)
            assert _export_ids(client, f"?unit={code}") == cadres_below(code)


def test_a_townships_row_adds_up_its_offices_on_the_dashboard(tree_app):
    page = client_for(tree_app, "township").get("/").text
    township = page.index("/flags?unit=T1\"")
    assert township < page.index("/flags?unit=T1-O1\"") and township < page.index("/flags?unit=T1-O2\"")
    assert 'class="depth-1"><a href="/flags?unit=T1-O1"' in page  # indented below its township
    row = page[township:page.index("</tr>", township)]
    assert '<td class="n">4</td>' in row  # the township's own cadre and its offices' three


ROUTES_SEEN_HERE = {"dashboard", "flags", "export", "cadre", "review", "training_file", "unit_files", "assessment",
                    "assessment_export", "promotion_page", "promotion", "promotion_export", "audit"}


def test_every_route_that_reads_units_is_tried_here(tree_app):
    """A new route that reads units or cadres gets its case in this file (sign-in, sign-out and the stylesheet
    read none; a cadre's own page reads only them)."""
    # A cadre's own routes read one cadre, the one signed in (tests/web/test_access.py tries them for every caller).
    own = {"cadre_login_page", "cadre_login", "cadre_logout", "cadre_home", "cadre_training_file"}
    names = {route.name for route in tree_app.routes} - {"login_page", "login", "logout", "static"} - own
    assert names == ROUTES_SEEN_HERE


@pytest.mark.parametrize("who", sorted(SEES))
def test_the_assessment_and_the_admins_pages_keep_to_the_subtree(tree_app, who):
    client = client_for(tree_app, who)
    page = client.get("/assessment")
    assert page.status_code == 200
    for _id, code, name, _parent in UNITS:
        assert (name in page.text) == (code in SEES[who]), (who, name)
    exported = client.get("/assessment/export.csv")
    assert exported.status_code == 200
    body = exported.content.decode("utf-8-sig")
    for _id, code, name, _parent in UNITS:
        assert (name in body) == (code in SEES[who]), (who, name)
    admin = who == "admin"
    assert client.get("/audit").status_code == (200 if admin else 404)
    assert client.get("/promotion").status_code == (200 if admin else 404)
    answer = client.post("/promotion", data={"csrf": csrf_of(client), "ids": "O1a\nT2a"})
    assert answer.status_code == (200 if admin else 404)
    exported = client.post("/promotion/export.csv", data={"csrf": csrf_of(client), "ids": "O1a\nT2a"})
    assert exported.status_code == (200 if admin else 404)
