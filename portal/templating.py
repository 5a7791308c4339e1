"""Jinja globals and filters shared by every template."""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, request, url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from portal.auth.permissions import may
from portal.i18n import current_locale_tag
from portal.nav import nav_items, role_label
from portal.privacy import mask_phone
from portal.timeutil import local_now


def local_datetime(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """An aware UTC datetime shown in Asia/Shanghai."""
    return format_datetime(value, fmt) if value else ""


def local_date(value: date | None, fmt: str = "yyyy-MM-dd") -> str:
    return format_date(value, fmt) if value else ""


def url_with(**changes) -> str:
    """The current URL with some query arguments replaced (pagination, tabs, sorting)."""
    args = request.args.to_dict(flat=True)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    from urllib.parse import urlencode

    return request.path + ("?" + urlencode(args) if args else "")


URL_MARK = 918273645


def url_pattern(endpoint: str, arg: str) -> str:
    """url_for(endpoint) with `arg` left open, as a str.format pattern: "/tasks/{}/attempts".

    For a list whose every row links to the same endpoint: `pattern.format(row.id)` per row
    costs a tenth of url_for. Built once per application and script root.
    """
    cached = current_app.extensions.setdefault("url_patterns", {})
    key = (endpoint, arg, request.script_root)
    if (pattern := cached.get(key)) is None:
        url = url_for(endpoint, **{arg: URL_MARK})
        pattern = cached[key] = url.replace(str(URL_MARK), "{}", 1)
    return pattern


def endpoint_url(endpoint: str) -> str:
    """url_for(endpoint) of an endpoint without arguments, built once per application and
    script root (see url_pattern)."""
    cached = current_app.extensions.setdefault("url_patterns", {})
    key = (endpoint, None, request.script_root)
    if (url := cached.get(key)) is None:
        url = cached[key] = url_for(endpoint)
    return url


def escape_str(value) -> str:
    """escape(value) as a plain str, for HTML written in Python (a list's rows): the same
    characters replaced the same way, without a Markup object per value; the writer wraps
    what it builds in Markup once. Markup and other objects with __html__ go through
    escape() itself (they are not escaped twice)."""
    if value.__class__ is not str:
        return str(escape(value))
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


class Page:
    """One page of a list whose total is already known (the pager macro reads these; the
    same attributes as Flask-SQLAlchemy's Pagination)."""

    __slots__ = ("items", "page", "per_page", "total")

    def __init__(self, items: list, page: int, per_page: int, total: int):
        self.items, self.page, self.per_page, self.total = items, page, per_page, total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page)) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def table_region() -> Markup:
    """Attributes for a sideways-scrolling table wrapper: keyboard users can focus and scroll it."""
    return Markup('tabindex="0" role="region" aria-label="%s"') % _("Scrollable table")


def register(app: Flask) -> None:
    app.jinja_env.globals.update(may=may, nav_items=nav_items,
                                 current_locale_tag=current_locale_tag,
                                 csrf_token=generate_csrf, url_with=url_with,
                                 role_label=role_label, now_local=local_now,
                                 table_region=table_region)
    app.jinja_env.filters.update(dt=local_datetime, d=local_date, mask_phone=mask_phone)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
