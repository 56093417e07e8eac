from __future__ import annotations

from ._base import MoodleModel


class UserProfileField(MoodleModel):
    """A user profile field as Moodle READS it: ``type`` is the data type, ``shortname`` the name.

    (On create/update it is the other way round: ``type`` carries the shortname.)
    """

    ignored_keys = frozenset({"displayvalue"})

    shortname: str
    name: str
    type: str
    value: str | None


class Role(MoodleModel):
    ignored_keys = frozenset({"sortorder"})

    roleid: int
    name: str
    shortname: str


class _UserBase(MoodleModel):
    id: int
    fullname: str
    username: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    email: str | None = None
    idnumber: str | None = None
    department: str | None = None
    institution: str | None = None
    firstaccess: int | None = None
    lastaccess: int | None = None
    customfields: list[UserProfileField] = []

    def profile_field(self, shortname: str) -> str | None:
        for field in self.customfields:
            if field.shortname == shortname:
                return field.value
        return None


class User(_UserBase):
    """``core_user_get_users_by_field`` / ``core_user_get_users``: a full user record."""

    ignored_keys = frozenset({
        "address", "phone1", "phone2", "interests", "confirmed", "calendartype",
        "theme", "mailformat", "trackforums", "city", "country", "profileimageurlsmall",
        "profileimageurl", "preferences",
    })

    auth: str | None = None
    suspended: bool | None = None
    timezone: str | None = None
    lang: str | None = None  # the user's language ("en", "zh_cn"): reminders are written in it


class EnrolledUser(_UserBase):
    """``core_enrol_get_enrolled_users``; the ``userfields`` option trims it to what is asked."""

    ignored_keys = frozenset({
        "address", "phone1", "phone2", "interests", "city", "country", "profileimageurlsmall",
        "profileimageurl", "groups", "preferences", "enrolledcourses",
    })

    lastcourseaccess: int | None = None
    roles: list[Role] = []
