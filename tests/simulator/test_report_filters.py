"""Report filters and the Users source, as Moodle 5.1's source has them (no recording holds either).

core_reportbuilder_set_filters stores the caller's values for a report (user_filter_manager: a user
preference), retrieve_report applies them through the report's own filters only
(base_report_table::init_sql), filters_reset removes them. Date filters (filters/date.php): "range"
keeps from <= value < to, a 0 end is open, a row without the value (NULL) fails; the course selector
(filters/course_selector.php) keeps course id IN (values). The Users source leaves out the guest and
deleted users; its text cells go through s(), its user id only inside "Full name with link".
"""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime

from moodle_bridge.moodle._encoding import encode_call
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle

TOKEN = "t0ken"


def ask(sim: SimulatedMoodle, function: str, token: str = TOKEN, **arguments):
    status, headers, body = sim.handle(encode_call(function, arguments, token))
    assert status == 200
    return json.loads(body), headers


def rows(sim: SimulatedMoodle, report_id: int, token: str = TOKEN) -> list[list[str]]:
    answer, _ = ask(sim, "core_reportbuilder_retrieve_report", token, reportid=report_id, page=0, perpage=100000)
    assert answer["data"]["totalrowcount"] == len(answer["data"]["rows"])
    return [r["columns"] for r in answer["data"]["rows"]]


def test_course_selector_keeps_the_chosen_courses_until_reset():
    sim = SimulatedMoodle(generate("small"), token=TOKEN)
    everything = rows(sim, 4)
    course = sim.site.courses[2]
    answer, _ = ask(sim, "core_reportbuilder_set_filters", reportid=4,
                    values=json.dumps({"course:courseselector_values": [2]}))
    assert answer is True
    chosen = rows(sim, 4)
    assert chosen and {r[0] for r in chosen} == {course.idnumber}
    assert chosen == [r for r in everything if r[0] == course.idnumber]
    assert ask(sim, "core_reportbuilder_filters_reset", reportid=4)[0] is True
    assert rows(sim, 4) == everything


def test_values_apply_only_through_the_reports_own_filters_and_only_for_who_set_them():
    sim = SimulatedMoodle(generate("small"), token=TOKEN)
    everything = rows(sim, 2)  # report 2 has no filters
    ask(sim, "core_reportbuilder_set_filters", reportid=2, values=json.dumps({"course:courseselector_values": [2]}))
    assert rows(sim, 2) == everything
    ask(sim, "core_reportbuilder_set_filters", reportid=4, values=json.dumps({"course:courseselector_values": [2]}))
    assert sim.site.filter_values[(sim.site.integration_user_id, 4)] == {"course:courseselector_values": [2]}
    assert (2, 4) not in sim.site.filter_values  # another user's reads are their own


def test_a_date_range_keeps_from_inclusive_to_exclusive_and_never_an_empty_value():
    site = generate("small")
    sim = SimulatedMoodle(site, token=TOKEN)
    times = sorted({p.timecompleted for p in site.progress.values() if p.timecompleted})
    start = times[len(times) // 2]
    ask(sim, "core_reportbuilder_set_filters", reportid=4, values=json.dumps(
        {"completion:timecompleted_operator": 3, "completion:timecompleted_from": start,
         "completion:timecompleted_to": 0}))
    kept = rows(sim, 4)
    want = sum(1 for (c, u), p in site.progress.items() if p.timecompleted and p.timecompleted >= start
               and (c, u) in site.enrolments and site.enrolments[(c, u)].role == "student"
               and not site.users[u].deleted)
    assert len(kept) == want and all(r[2] == "Yes" for r in kept)  # report 4: course, user, Completed, ...
    ask(sim, "core_reportbuilder_set_filters", reportid=4, values=json.dumps(
        {"completion:timecompleted_operator": "3", "completion:timecompleted_from": str(start),
         "completion:timecompleted_to": start}))  # numbers as text are cast like PHP's (int)
    assert rows(sim, 4) == []  # from <= v < to: an empty range
    ask(sim, "core_reportbuilder_set_filters", reportid=4, values=json.dumps(
        {"completion:timecompleted_operator": 3, "completion:timecompleted_from": 0,
         "completion:timecompleted_to": 0}))  # no bound: the filter adds no condition
    assert len(rows(sim, 4)) == len(site.enrolments) - sum(
        1 for (c, u), e in site.enrolments.items() if e.role != "student" or site.users[u].deleted)


def test_the_users_source_lists_users_but_the_guest_and_the_deleted_with_their_id_in_the_link():
    site = generate("small")
    sim = SimulatedMoodle(site, token=TOKEN)
    site.delete_user(8)
    answer, _ = ask(sim, "core_reportbuilder_retrieve_report", reportid=5, page=0, perpage=100000)
    assert answer["details"]["source"] == "core_user\\reportbuilder\\datasource\\users"
    headers = answer["data"]["headers"]
    assert headers[:8] == ["Full name with link", "Username", "ID number", "First name", "Last name",
                           "Email address", "Department", "Suspended"]
    assert headers[8:] == ["cadre_id", "unit", "rank", "category"]  # headings set to the short names
    by_link = {r["columns"][0].split("id=")[1].split('"')[0]: r["columns"] for r in answer["data"]["rows"]}
    assert "8" not in by_link and "1" not in by_link
    assert set(by_link) == {str(u.id) for u in site.users.values() if not u.deleted and u.id != 1}
    assert by_link["7"][4] == "&lt;i&gt;Li&lt;/i&gt; &amp; Sons"  # s(): HTML special characters escaped


def test_the_answers_are_dated_by_the_sites_clock():
    site = generate("small")
    sim = SimulatedMoodle(site, token=TOKEN)
    _answer, headers = ask(sim, "core_webservice_get_site_info")
    assert parsedate_to_datetime(headers["Date"]).timestamp() == site.now
