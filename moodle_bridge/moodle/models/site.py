from __future__ import annotations

from ._base import MoodleModel


class SiteFunction(MoodleModel):
    name: str
    version: str


class SiteInfo(MoodleModel):
    """``core_webservice_get_site_info``: who the token belongs to and what it may call."""

    ignored_keys = frozenset({
        "userpictureurl", "downloadfiles", "uploadfiles", "mobilecssurl", "advancedfeatures",
        "usercanmanageownfiles", "userquota", "usermaxuploadfilesize", "userhomepage",
        "userhomepageurl", "userprivateaccesskey", "sitecalendartype", "usercalendartype",
        "theme", "limitconcurrentlogins", "usersessionscount", "policyagreed",
    })

    sitename: str
    siteurl: str
    username: str
    firstname: str
    lastname: str
    fullname: str
    lang: str
    userid: int
    functions: list[SiteFunction]
    release: str | None = None
    version: str | None = None
    siteid: int | None = None
    userissiteadmin: bool | None = None

    @property
    def function_names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.functions)
