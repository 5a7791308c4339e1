"""Helpers for the security sweep (tests/test_security_sweep.py) and other whole-app walks.

- `routes()`: every rule of the URL map (static left out), discovered from a throw-away app
  so tests can be parametrised per endpoint at collection time;
- `url_args()`: the URL_ARGS conventions of every tests/*/access.py, merged;
- `build_url(app, rule)`: a URL for a rule (URL_ARGS, else 1 for every argument);
- `crawl(client, app, start)`: GET pages as the signed-in client, following same-site links,
  collecting the forms (and hx-post elements) found on them;
- `snapshot()`: the content of every table (to prove "nothing changed").
"""
from __future__ import annotations

import hashlib
import importlib
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from flask import url_for
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from portal.extensions import db

TESTS = Path(__file__).resolve().parent
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
ROLES = ("nurse", "head_nurse", "quality", "leader", "admin")


def url_args() -> dict:
    merged: dict = {}
    for path in sorted(TESTS.glob("*/access.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.access")
        merged.update(getattr(module, "URL_ARGS", {}))
    return merged


def routes() -> list[tuple[str, str, tuple[str, ...]]]:
    """(endpoint, rule, methods) for every non-static rule, in a stable order."""
    from portal import create_app
    from tests.conftest import base_config

    app = create_app(base_config("sqlite://"))
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        found.append((rule.endpoint, rule.rule, tuple(sorted(rule.methods - {"HEAD", "OPTIONS"}))))
    return sorted(found)


def build_url(app, endpoint: str, rule_text: str | None = None) -> str:
    args = dict(url_args().get(endpoint, {}))
    for rule in app.url_map.iter_rules(endpoint):
        if rule_text and rule.rule != rule_text:
            continue
        for name in rule.arguments:
            args.setdefault(name, 1)
        break
    with app.test_request_context():
        return url_for(endpoint, **args)


def allowed(app, endpoint: str) -> frozenset[str]:
    from portal.auth.permissions import ANY_ROLE, PUBLIC

    roles = getattr(app.view_functions.get(endpoint), "allowed_roles", None)
    if roles is None:
        return frozenset()
    return frozenset(ANY_ROLE | {PUBLIC}) if PUBLIC in roles else frozenset(roles)


def match(app, url: str, method: str = "GET") -> str | None:
    """The endpoint that serves this same-site URL, or None."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(parts.path, method=method)
    except HTTPException:
        return None
    return endpoint


# ---------------------------------------------------------------- HTML parsing


@dataclass
class Form:
    page: str          # where it was found
    action: str        # URL it posts to
    fields: list[tuple[str, str]] = field(default_factory=list)   # (name, default value)


class _Parser(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page, a["href"]))
        for attr in ("hx-get",):
            if a.get(attr):
                self.links.append(urljoin(self.page, a[attr]))
        if tag == "form":
            method = (a.get("method") or "get").lower()
            action = a.get("hx-post") or (a.get("action") if method == "post" else None)
            if action is None and method == "post":
                action = self.page
            if action is not None:
                self._form = Form(self.page, urljoin(self.page, action or self.page))
                self.forms.append(self._form)
            elif method == "get":
                # a filter form: its action is a page worth visiting
                self.links.append(urljoin(self.page, a.get("action") or self.page))
            return
        if tag != "form" and a.get("hx-post") and self._form is None:
            self.forms.append(Form(self.page, urljoin(self.page, a["hx-post"]),
                                   [(a["name"], a.get("value") or "")] if a.get("name") else []))
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                if any(n == name for n, _ in self._form.fields):
                    return
            self._form.fields.append((name, a.get("value") or ""))
        elif tag == "button" and name:
            self._form.fields.append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._select_value = name, None
        elif tag == "option" and self._select is not None:
            if self._select_value is None or "selected" in a:
                self._select_value = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            self._form.fields.append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None


def parse(page: str, html: str) -> _Parser:
    parser = _Parser(page)
    parser.feed(html)
    parser.close()
    return parser


@dataclass
class Crawl:
    pages: dict[str, object] = field(default_factory=dict)   # url -> response (text)
    forms: list[Form] = field(default_factory=list)
    files: dict[str, object] = field(default_factory=dict)   # url -> response (CSV/XLSX downloads)


def crawl(client, app, start: list[str], *, limit: int = 120, per_endpoint: int = 3,
          htmx: bool = False) -> Crawl:
    """GET pages breadth-first from `start`, following same-site links to GET endpoints."""
    result = Crawl()
    seen_per_endpoint: dict[str, int] = {}
    queue = deque(start)
    queued = set(start)
    while queue and len(result.pages) < limit:
        url = queue.popleft()
        endpoint = match(app, url)
        if endpoint is None or endpoint == "static":
            continue
        if seen_per_endpoint.get(endpoint, 0) >= per_endpoint:
            continue
        seen_per_endpoint[endpoint] = seen_per_endpoint.get(endpoint, 0) + 1
        resp = client.get(url, htmx=htmx)
        if resp.headers.get("Content-Disposition", "").startswith("attachment"):
            result.files[url] = resp  # a download: its feature's tests read its content
            continue
        result.pages[url] = resp
        if not resp.mimetype or "html" not in resp.mimetype:
            continue
        parsed = parse(url, resp.get_data(as_text=True))
        result.forms.extend(parsed.forms)
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local not in queued:
                queued.add(local)
                queue.append(local)
    return result


# ---------------------------------------------------------------- database state


def snapshot(*, skip: tuple[str, ...] = ()) -> dict[str, tuple[int, str]]:
    """(row count, digest of all rows) per table, read in a fresh transaction. The keys
    writes marked are recomputed first (as any read of the dashboard summaries does), so a
    GET that changes any table, summaries included, shows."""
    from portal.dashboard import summaries

    db.session.rollback()
    summaries.current()
    db.session.commit()
    state = {}
    for table in db.metadata.sorted_tables:
        if table.name in skip:
            continue
        count = db.session.scalar(select(func.count()).select_from(table))
        rows = db.session.execute(select(table)).all()
        digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
        state[table.name] = (count, digest)
    db.session.rollback()
    return state


def changed(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]
