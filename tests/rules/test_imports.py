"""Offline training files: encodings, Chinese headers, every bad row reported, Excel too."""

from __future__ import annotations

from datetime import date

import pytest

from moodle_bridge.services.offline import ImportError_, parse_offline, template_header

ROWS = [["CD260001", "Party school spring course", "County Party School", "2026-03-02", "2026-03-06", "5", "", "2",
         "party school", "PS-2026-001"],
        ["CD260002", "乡村振兴专题培训", "县委组织部", "2026/4/1", "2026/4/3", "", "22.5", "", "", ""]]


def write_csv(path, header, rows, encoding):
    path.write_bytes(("\r\n".join(",".join(r) for r in [header, *rows]) + "\r\n").encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_csv_in_every_encoding_with_english_or_chinese_headers(tmp_path, encoding, language):
    path = write_csv(tmp_path / "offline.csv", template_header(language), ROWS, encoding)
    rows = parse_offline(path)
    assert [(r.line, r.cadre_id, r.start, r.end, r.days, r.hours, r.leave_hours) for r in rows] == [
        (2, "CD260001", date(2026, 3, 2), date(2026, 3, 6), 5.0, None, 2.0),
        (3, "CD260002", date(2026, 4, 1), date(2026, 4, 3), None, 22.5, 0.0)]
    assert rows[1].training == "乡村振兴专题培训"


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_returned(tmp_path):
    bad = [["", "X", "", "2026-01-01", "2026-01-02", "1", "", "", "", ""],
           ["CD1", "Y", "", "2026-13-01", "2026-01-02", "1", "", "", "", ""],
           ["CD2", "Z", "", "2026-02-05", "2026-02-01", "one", "", "-1", "", ""],
           ["CD3", "W", "", "2026-02-01", "2026-02-01", "", "", "", "", ""]]
    path = write_csv(tmp_path / "bad.csv", template_header(), [ROWS[0], *bad], "utf-8")
    with pytest.raises(ImportError_) as caught:
        parse_offline(path)
    assert caught.value.problems == [
        f"{path}:3: no cadre id",
        f"{path}:4: start '2026-13-01' is not a date (YYYY-MM-DD)",
        f"{path}:5: ends before it starts; days 'one' is not a number of zero or more; "
        "leave hours '-1' is not a number of zero or more",
        f"{path}:6: give days or hours",
    ]


def test_missing_columns_name_the_template(tmp_path):
    path = write_csv(tmp_path / "odd.csv", ["name", "when"], [["a", "b"]], "utf-8")
    with pytest.raises(ImportError_, match=r"missing column.*cadre_id.*credits template"):
        parse_offline(path)


def test_excel_file(tmp_path):
    import xlsxwriter

    path = tmp_path / "offline.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, template_header("zh_CN"))
    sheet.write_row(1, 0, ["CD260001", "Course", "School"])
    sheet.write_datetime(1, 3, __import__("datetime").datetime(2026, 5, 4))
    sheet.write_datetime(1, 4, __import__("datetime").datetime(2026, 5, 5))
    sheet.write_number(1, 5, 2)
    book.close()
    (row,) = parse_offline(path)
    assert (row.cadre_id, row.start, row.end, row.days) == ("CD260001", date(2026, 5, 4), date(2026, 5, 5), 2.0)


@pytest.mark.parametrize("bad", ["inf", "nan", "-1"])
def test_hours_must_be_a_finite_number(tmp_path, bad):
    path = write_csv(tmp_path / "x.csv", template_header(), [["CD1", "X", "", "2026-01-01", "2026-01-02", "", bad, "",
                                                             "", ""]], "utf-8")
    with pytest.raises(ImportError_, match=r"hours .* is not a number of zero or more"):
        parse_offline(path)


@pytest.mark.parametrize(("cells", "reason"), [
    (["0001-01-01", "2026-01-02", "1", ""], "start 0001-01-01 is outside 1990-01-01 to 2100-12-31"),
    (["2026-01-01", "9999-12-31", "1", ""], "end 9999-12-31 is outside 1990-01-01 to 2100-12-31"),
    (["2026-01-01", "2026-01-02", "1e308", ""], "days 1e+308 is more than the 2 days from start to end"),
    (["2026-01-01", "2026-01-02", "", "49"], "hours 49 is more than the 48 hours from start to end"),
])
def test_dates_and_amounts_out_of_bounds_are_refused_with_their_line(tmp_path, cells, reason):
    start, end, days, hours = cells
    path = write_csv(tmp_path / "x.csv", template_header(), [["CD1", "X", "", start, end, days, hours, "", "", ""]],
                     "utf-8")
    with pytest.raises(ImportError_) as caught:
        parse_offline(path)
    assert caught.value.problems == [f"{path}:2: {reason}"]


def test_exemption_dates_out_of_the_window_are_refused(tmp_path):
    from moodle_bridge.services.exemptions import read_exemptions

    path = tmp_path / "ex.csv"
    path.write_text("cadre id,reason,from,to,effect\r\nCD1,illness,0001-01-01,9999-12-31,full\r\n"
                    "CD2,secondment,2026-01-01,2026-06-30,prorate\r\n", encoding="utf-8")
    with pytest.raises(ImportError_) as caught:
        read_exemptions(path)
    assert caught.value.problems == [f"{path}:2: 0001-01-01 is outside 1990-01-01 to 2100-12-31"]


def _store_with_cadres(db_url, *cadre_ids):
    from moodle_bridge.store import connect, upgrade
    from moodle_bridge.store.schema import mirror_users

    engine = connect(db_url)
    upgrade(engine)
    if cadre_ids:
        with engine.begin() as connection:
            connection.execute(mirror_users.insert(), [
                {"id": n, "username": f"u{n}", "suspended": False, "cadre_id": c, "profile": {"cadre_id": c}}
                for n, c in enumerate(cadre_ids, start=1)])
    return engine


def _count(engine, table):
    import sqlalchemy as sa

    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def test_an_offline_import_naming_unknown_cadres_imports_nothing(db_url, tmp_path):
    from moodle_bridge.services.offline import import_offline
    from moodle_bridge.store.schema import offline_records

    engine = _store_with_cadres(db_url, "CD260001")
    path = write_csv(tmp_path / "offline.csv", template_header(), [
        ROWS[0], ["CD999999", "X", "", "2026-01-01", "2026-01-02", "1", "", "", "", ""]], "utf-8")
    with pytest.raises(ImportError_) as caught:
        import_offline(engine, parse_offline(path), "offline.csv")
    assert caught.value.problems == [
        "offline.csv:3: cadre id 'CD999999' is not a cadre in the mirror (a typo, or not synced yet?)"]
    assert _count(engine, offline_records) == 0  # the known cadre's row is not imported either
    assert import_offline(engine, parse_offline(path)[:1], "offline.csv") == (1, 0)
    engine.dispose()


def test_an_exemption_import_naming_unknown_cadres_imports_nothing(db_url, tmp_path):
    from moodle_bridge.services.exemptions import import_exemptions, read_exemptions
    from moodle_bridge.store.schema import exemptions

    engine = _store_with_cadres(db_url, "CD1")
    path = tmp_path / "ex.csv"
    path.write_text("cadre id,reason,from,to,effect\r\nCD1,illness,2026-01-01,2026-03-31,full\r\n"
                    "CD7,secondment,2026-01-01,2026-06-30,prorate\r\n", encoding="utf-8")
    with pytest.raises(ImportError_) as caught:
        import_exemptions(engine, read_exemptions(path), source="ex.csv")
    assert caught.value.problems == [
        "ex.csv:3: cadre id 'CD7' is not a cadre in the mirror (a typo, or not synced yet?)"]
    assert _count(engine, exemptions) == 0
    engine.dispose()


def test_an_import_before_any_sync_says_to_sync_first(db_url, tmp_path):
    from moodle_bridge.services.offline import import_offline

    engine = _store_with_cadres(db_url)
    path = write_csv(tmp_path / "offline.csv", template_header(), ROWS[:1], "utf-8")
    with pytest.raises(ImportError_, match="the mirror holds no cadres yet: run `moodle-bridge sync` first"):
        import_offline(engine, parse_offline(path), "offline.csv")
    engine.dispose()


def test_a_damaged_workbook_is_refused_in_one_line(tmp_path):
    path = tmp_path / "offline.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ImportError_, match="not a readable Excel workbook"):
        parse_offline(path)
