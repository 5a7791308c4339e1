"""Jinja globals and filters shared by every template."""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, has_request_context, request, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from markupsafe import Markup, escape

from portal.auth.permissions import may
from portal.i18n import current_locale_tag
from portal.nav import role_label, site_header
from portal.privacy import mask_phone
from portal.timeutil import local_minute, local_now

MINUTE = "yyyy-MM-dd HH:mm"
# formats written without a Babel call: the part of local_minute() that each shows
MINUTE_PARTS = {MINUTE: slice(None), "MM-dd HH:mm": slice(5, None), "HH:mm": slice(11, None)}


def local_datetime(value: datetime | None, fmt: str = MINUTE) -> str:
    """An aware UTC datetime shown in Asia/Shanghai (the |dt filter)."""
    if not value:
        return ""
    part = MINUTE_PARTS.get(fmt)
    return local_minute(value)[part] if part is not None else format_datetime(value, fmt)


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
    script root (see cached_url_for)."""
    return cached_url_for(request.script_root)(endpoint)


def cached_url_for(script_root: str):
    """url_for for one application and script root, which templates get (template_context):
    an endpoint without arguments, or a static file, is built once; anything else, and a
    blueprint-relative endpoint (".name"), goes through Flask's url_for each time."""
    functions = current_app.extensions.setdefault("cached_url_for", {})
    if (found := functions.get(script_root)) is None:
        urls: dict = {}

        def found(endpoint: str, **values) -> str:
            if not values:
                key = endpoint
            elif endpoint == "static" and len(values) == 1 and "filename" in values:
                key = ("static", values["filename"])
            else:
                return url_for(endpoint, **values)
            if (url := urls.get(key)) is None:
                url = url_for(endpoint, **values)
                if not endpoint.startswith("."):
                    urls[key] = url
            return url

        functions[script_root] = found
    return found


_GETTEXT: dict[str, object] = {}


def jinja_gettext(locale: str):
    """Jinja's gettext (`_()`, `{% trans %}`) in `locale`, each message looked up once per
    language and process: Flask-Babel's lookup (request context, domain, translations) cost
    more than the rest of a label's rendering. The same result as the installed newstyle
    gettext (jinja2.ext: Markup under autoescape, then `%`). The messages are the
    templates' literals (no template translates a variable), so the caches stay small."""
    if (found := _GETTEXT.get(locale)) is None:
        messages: dict[str, str] = {}
        plain: dict[str, Markup] = {}  # under autoescape, without variables: the result

        @pass_context
        def gettext(context, string: str, **variables):
            autoescape = context.eval_ctx.autoescape
            if autoescape and not variables and (done := plain.get(string)) is not None:
                return done
            if (text := messages.get(string)) is None:
                text = messages[string] = _(string)
            if autoescape:
                if not variables:
                    done = plain[string] = Markup(text) % variables
                    return done
                text = Markup(text)
            return text % variables

        found = _GETTEXT[locale] = gettext
    return found


def template_context() -> dict:
    """Context processor: every rendered template's `_` and `gettext` in its language
    (jinja_gettext) and, in a request, its url_for (cached_url_for)."""
    gettext = jinja_gettext(str(get_locale()))
    if not has_request_context():
        return {"_": gettext, "gettext": gettext}
    return {"_": gettext, "gettext": gettext, "url_for": cached_url_for(request.script_root)}


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
    app.jinja_env.globals.update(may=may, site_header=site_header,
                                 current_locale_tag=current_locale_tag,
                                 csrf_token=generate_csrf, url_with=url_with,
                                 role_label=role_label, now_local=local_now,
                                 table_region=table_region)
    app.jinja_env.filters.update(dt=local_datetime, d=local_date, mask_phone=mask_phone)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.context_processor(template_context)
