"""The demo's county: the same county for the same seed, read by people (no test records, no markup in names), every
cadre in the required courses, and the department's records about cadres the site has."""

from __future__ import annotations

from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.showcase import REQUIRED_COURSE, SECOND_COURSE, county


def test_the_same_seed_gives_the_same_county_and_another_seed_another():
    one, again, other = county("small"), county("small"), county("small", seed=7)
    assert one.offline == again.offline and one.exemptions == again.exemptions
    assert one.previous_online == again.previous_online and one.entered_twice == again.entered_twice
    assert {u.id: u.profile for u in one.site.users.values()} == {u.id: u.profile for u in again.site.users.values()}
    assert one.offline != other.offline


def test_the_county_holds_no_test_records_and_no_markup_in_names():
    made = county("small")
    assert generate("small").courses.keys() - made.site.courses.keys() == {29}  # the lab's throwaway course
    assert not any("FIXTURE" in c.fullname for c in made.site.courses.values())
    assert not any("<" in u.fullname or "fixture" in u.username for u in made.site.users.values())
    assert not any("<" in c.fullname for c in made.site.courses.values())


def test_every_cadre_is_enrolled_in_the_required_courses_and_the_records_name_cadres_of_the_site():
    made = county("small")
    site = made.site
    cadres = {u.idnumber: u.id for u in site.users.values() if u.idnumber}
    for idnumber in (REQUIRED_COURSE, SECOND_COURSE):
        course = next(c for c in site.courses.values() if c.idnumber == idnumber)
        assert all((course.id, user) in site.enrolments for user in cadres.values())
    assert {r.cadre_id for r in made.offline} <= cadres.keys()
    assert {e.cadre_id for e in made.exemptions} <= cadres.keys()
    twice, first = made.offline[made.entered_twice], made.first_entry
    assert (twice.training, twice.start, twice.days) == (first.training, first.start, first.days)
    assert twice.reference != first.reference


def test_a_cadre_is_promoted_after_joining():
    users = [u for u in county("small").site.users.values() if u.profile.get("promoted")]
    assert users and all(u.profile["joined"] < u.profile["promoted"] for u in users)
