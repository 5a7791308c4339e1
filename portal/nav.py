"""The navigation: one list, filtered by what the signed-in role may open.

Entries whose endpoint does not exist (a feature not built yet) are left out.
"""
from __future__ import annotations

from typing import NamedTuple

from flask import current_app, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from portal.auth.permissions import may

ROLE_LABELS = {
    "nurse": _l("Nurse"),
    "head_nurse": _l("Head nurse"),
    "quality": _l("Quality staff"),
    "leader": _l("Leader"),
    "admin": _l("Administrator"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


# Where each role lands after sign-in.
ROLE_HOME = {
    "nurse": "followups.worklist",
    "head_nurse": "followups.worklist",
    "quality": "dashboard.quality",
    "leader": "dashboard.leader",
    "admin": "admin.users",
}

NAV = (
    ("followups.worklist", _l("Follow-up calls")),
    ("followups.import_page", _l("Import discharges")),
    ("followups.sampling", _l("Second-level calls")),
    ("surveys.results", _l("Surveys")),
    ("surveys.reviews", _l("Low-score reviews")),
    ("complaints.register", _l("Complaints & praise")),
    ("dashboard.leader", _l("Dashboard")),
    ("dashboard.quality", _l("Quality dashboard")),
    ("dashboard.ward", _l("Ward dashboard")),
    ("reports.monthly", _l("Monthly report")),
    ("surveys.templates", _l("Survey templates")),
    ("admin.users", _l("Users")),
    ("admin.wards", _l("Wards")),
    ("followups.rules", _l("Follow-up rules")),
    ("calendar.holidays", _l("Holiday calendar")),
    ("complaints.categories", _l("Complaint categories")),
    ("audit.search", _l("Audit log")),
)


class SiteHeader(NamedTuple):
    """What the page header shows a signed-in role in one language."""
    links: tuple[tuple[str, str, Markup], ...]  # the navigation: (endpoint, URL, label)
    role: str                                # the role's name
    badge: bool                              # the "waiting for me" badge (complaints)


def site_header() -> SiteHeader | None:
    """The header of the signed-in user's pages (None when nobody is signed in), built once
    per application, role, language and script root: what a role may open depends on the
    role alone, and the navigation's URLs and labels cost more than the rest of a page's
    shell when built for every page."""
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return None
    cache = current_app.extensions.setdefault("site_headers", {})
    key = (user.role, str(get_locale()), request.script_root)
    if (header := cache.get(key)) is None:
        views = current_app.view_functions
        # a label is markup, as the lazy string's __html__ gave it ("Complaints & praise")
        links = tuple((endpoint, url_for(endpoint), Markup(label)) for endpoint, label in NAV
                      if endpoint in views and may(endpoint, user))
        header = cache[key] = SiteHeader(links, role_label(user.role),
                                         may("complaints.badge", user))
    return header
