"""The pages stay small at a province's scale (issue 13): the dashboard shows its units a page at a time, and a list
over more units than a menu can hold takes the unit typed, by its name or its code."""

from __future__ import annotations

from moodle_bridge.web import handlers

from .test_access import client_for


def test_the_dashboard_shows_its_units_a_page_at_a_time(app_engine, monkeypatch):
    app, _engine = app_engine
    monkeypatch.setattr(handlers, "UNITS_PAGE", 1)  # two units: two pages of one
    client = client_for(app, "admin")
    first, second = client.get("/").text, client.get("/?page=2").text
    assert "units 1 to 1 of 2" in first and "units 2 to 2 of 2" in second
    assert ("Unit One" in first) != ("Unit One" in second)  # each unit on one page only
    assert ("Unit Two" in first) != ("Unit Two" in second)
    assert "units 2 to 2 of 2" in client.get("/?page=9").text  # past the last: the last
    assert client.get("/?page=x").status_code == 400


def test_a_list_over_many_units_takes_the_unit_typed_by_name_or_code(app_engine, monkeypatch):
    app, _engine = app_engine
    monkeypatch.setattr(handlers, "UNIT_CHOICES", 1)  # two units: more than the menu holds
    client = client_for(app, "admin")
    page = client.get("/flags").text
    assert '<select name="unit">' not in page and '<input name="unit"' in page
    for typed in ("Unit Two", "U2"):
        listed = client.get("/flags", params={"unit": typed}).text
        assert "Bob Li" in listed and "Alice" not in listed
        assert 'value="U2"' in listed and "/units/U2/files.pdf" in listed  # the links take the unit's code
    assert "Bob Li" not in client.get("/flags", params={"unit": "Unit Nine"}).text
    reviewer = client_for(app, "one")  # another unit's name is not theirs to list
    assert "Bob Li" not in reviewer.get("/flags", params={"unit": "Unit Two"}).text
