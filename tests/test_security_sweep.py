"""Security sweep: walks the whole URL map, so routes added later are covered without edits.

For every route: accepted methods (no state change on GET, as every role and signed out),
security headers, CSRF on plain and htmx posts, no patient identifiers in any response to a
leader, and hostile input into every field of every form (no 500, nothing executed, nothing
stored half-way). Routes needing object ids take them from URL_ARGS in tests/*/access.py;
form fields are discovered by crawling the pages as a role that may use the form.
"""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from portal.db import utcnow
from portal.extensions import db
from portal.privacy import mask_phone
from portal.timeutil import local_today
from tests import factories, sweep
from tests.conftest import sign_in_session

ROUTES = sweep.routes()
GET_ROUTES = [(e, r) for e, r, m in ROUTES if "GET" in m]
POST_ROUTES = [(e, r) for e, r, m in ROUTES if set(m) - sweep.SAFE]
GET_ONLY_ROUTES = [(e, r) for e, r, m in ROUTES if "GET" in m and not set(m) - sweep.SAFE]

NAMES = ("测试患者甲", "Sweeptest Wang")
PHONES = ("13911112222", "0371-65230001", "13733334444")
MRNS = ("SWEEPMRN001", "SWEEPMRN002")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")

# Endpoints that write on purpose when they refuse a request (a failed sign-in is counted
# and audited). Their 4xx responses may add audit entries and update the user's counters.
WRITES_ON_REFUSAL = {"auth.login": {"audit_entries", "users"}}

HOSTILE = {
    "script": "<script>alert(1)</script>",
    "htmx": '"><button hx-get="/sweep-evil" hx-trigger="load">x</button>',
    "sql": "'; DROP TABLE users; -- ' OR '1'='1",
    "formula": "=cmd|' /C calc'!A0",
    "long": "x" * (1024 * 1024),
    "utf8": b"\xff\xfe\xc3\x28 bad",
    "nul": "a\x00b",
}
RAW_MARKERS = ("<script>alert(1)</script>", 'hx-get="/sweep-evil"')
# fields a form without a discoverable page probably has
FALLBACK_FIELDS = [("name", ""), ("text", ""), ("notes", ""), ("q", ""), ("id", "1")]


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


@pytest.fixture
def people(app):
    """One user per role (nurse and head nurse on W01), signed in with `as_role`."""
    from portal.followups.models import CallAttempt, Discharge, FollowUpRule, FollowUpTask, Patient

    w1, w2 = factories.wards("W01", "W02")
    users = {role: factories.user(role=role, username=f"sweep_{role}",
                                  wards="W01" if role in ("nurse", "head_nurse") else None)
             for role in sweep.ROLES}
    rule = FollowUpRule(ward_id=w1.id, label="D+3", days_after=3)
    db.session.add(rule)
    today = local_today()
    for i, (name, mrn) in enumerate(zip(NAMES, MRNS, strict=True)):
        p = Patient(mrn=mrn, name=name, sex="F", phone=PHONES[i], phone2=PHONES[2] if i == 0 else None)
        d = Discharge(patient=p, ward_id=(w1 if i == 0 else w2).id,
                      discharged_on=today - timedelta(days=3), diagnosis="肺炎")
        db.session.add_all([p, d])
        db.session.flush()
        task = FollowUpTask(discharge_id=d.id, rule_id=rule.id, ward_id=d.ward_id, due_on=today,
                            window_end=today + timedelta(days=2))
        done = FollowUpTask(discharge_id=d.id, ward_id=d.ward_id, due_on=today - timedelta(days=1),
                            window_end=today, status="completed", attempts=1,
                            last_outcome="reached_patient", completed_at=utcnow())
        db.session.add_all([task, done])
        db.session.flush()
        db.session.add(CallAttempt(task_id=done.id, nurse_id=users["nurse"].id,
                                   outcome="reached_patient", health_status="better",
                                   notes=f"spoke with {name}", idempotency_key=f"sweep-{i}"))
    db.session.commit()
    return users


@pytest.fixture
def as_role(client, people):
    def _as(role: str | None):
        if role is None or role == "public":
            with client.session_transaction() as sess:
                sess.clear()
            return None
        db.session.rollback()
        user = db.session.get(type(people[role]), people[role].id)
        db.session.refresh(user)
        sign_in_session(client, user)
        return user

    return _as


def _role_for(app, endpoint: str) -> str | None:
    from portal.auth.permissions import PUBLIC

    roles = sweep.allowed(app, endpoint)
    if PUBLIC in roles:
        return None  # signed out: what anybody can send
    for role in ("nurse", "head_nurse", "quality", "admin", "leader"):
        if role in roles:
            return role
    return None  # public only, or nobody


def _check_headers(resp, url: str, signed_in: bool):
    csp = resp.headers.get("Content-Security-Policy", "")
    for part in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                 "object-src 'none'", "frame-ancestors 'none'"):
        assert part in csp, (url, part)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", url
    assert resp.headers.get("Referrer-Policy") == "same-origin", url
    if signed_in:
        assert "no-store" in resp.headers.get("Cache-Control", ""), url


# ---------------------------------------------------------------- methods, GET, headers


def test_every_route_declares_access_and_uses_form_methods(app):
    for endpoint, rule, methods in ROUTES:
        assert sweep.allowed(app, endpoint), f"{endpoint} has no @allow(...)"
        assert set(methods) <= {"GET", "POST"}, f"{rule} accepts {methods}: changes are form posts"


@pytest.mark.parametrize(("endpoint", "rule"), GET_ROUTES, ids=[e for e, _ in GET_ROUTES])
def test_get_changes_nothing_and_sends_headers(app, client, as_role, endpoint, rule):
    url = sweep.build_url(app, endpoint, rule)
    for role in (None, *sweep.ROLES):
        for htmx in (False, True):
            as_role(role)
            before = sweep.snapshot(skip=("audit_entries",))
            resp = client.get(url, htmx=htmx)
            assert resp.status_code < 500, (url, role, htmx, resp.status_code)
            assert sweep.changed(before, sweep.snapshot(skip=("audit_entries",))) == [], \
                f"GET {url} as {role} changed data"
            _check_headers(resp, url, signed_in=role is not None and endpoint != "home.healthz")


@pytest.mark.parametrize(("endpoint", "rule"), POST_ROUTES, ids=[e for e, _ in POST_ROUTES])
def test_post_only_routes_refuse_get_and_get_only_refuse_post(app, client, as_role, endpoint, rule):
    methods = dict(((e, r), m) for e, r, m in ROUTES)[(endpoint, rule)]
    url = sweep.build_url(app, endpoint, rule)
    as_role(_role_for(app, endpoint))
    if "GET" not in methods:
        assert client.get(url).status_code == 405, url


@pytest.mark.parametrize(("endpoint", "rule"), GET_ONLY_ROUTES,
                         ids=[e for e, _ in GET_ONLY_ROUTES])
def test_get_only_routes_refuse_post(app, client, as_role, endpoint, rule):
    url = sweep.build_url(app, endpoint, rule)
    as_role(_role_for(app, endpoint))
    before = sweep.snapshot()
    assert client.post(url, data={}).status_code == 405, url
    assert sweep.changed(before, sweep.snapshot()) == []


# ---------------------------------------------------------------- CSRF


@pytest.mark.parametrize(("endpoint", "rule"), POST_ROUTES, ids=[e for e, _ in POST_ROUTES])
def test_csrf_enforced_on_plain_and_htmx_posts(app, client, as_role, endpoint, rule):
    url = sweep.build_url(app, endpoint, rule)
    role = _role_for(app, endpoint)
    for htmx in (False, True):
        as_role(role)
        before = sweep.snapshot()
        resp = client.post(url, data={}, htmx=htmx, csrf=False)
        assert resp.status_code == 400, (url, htmx, resp.status_code)
        assert sweep.changed(before, sweep.snapshot()) == [], f"refused POST {url} changed data"
        _check_headers(resp, url, signed_in=role is not None)
    for htmx in (False, True):
        as_role(role)
        resp = client.post(url, data={}, htmx=htmx)
        assert resp.status_code != 400, (url, htmx, "a valid CSRF token was refused")
        assert resp.status_code < 500, (url, htmx, resp.status_code)


# ---------------------------------------------------------------- leaders see no patients


def _text(resp) -> str:
    """The body as text whatever its encoding (exports may be GBK CSV or binary)."""
    return resp.get_data().decode("utf-8", "replace")


def _assert_no_patient_data(body: str, where: str, raw: bytes = b""):
    for name in NAMES:  # a GBK export would hide a name from a UTF-8 search
        assert name.encode("gb18030") not in raw, f"{where} shows {name!r} to a leader (GBK)"
    for value in (*NAMES, *PHONES, *MRNS, *(mask_phone(p) for p in PHONES)):
        assert value not in body, f"{where} shows {value!r} to a leader"
    assert not MOBILE.search(body), f"{where} shows a phone number to a leader"


def test_no_response_to_a_leader_contains_patient_data(app, client, as_role):
    as_role("leader")
    start = [sweep.build_url(app, e, r) for e, r in GET_ROUTES]
    for htmx in (False, True):
        found = sweep.crawl(client, app, start, htmx=htmx)
        for url, resp in found.pages.items():
            if resp.mimetype and not resp.mimetype.startswith(("text/", "application/json")):
                continue  # files (XLSX reports) are checked by their own feature's tests
            _assert_no_patient_data(_text(resp), f"GET {url}", resp.get_data())
    for endpoint, rule in POST_ROUTES:
        if endpoint == "auth.logout":
            continue
        url = sweep.build_url(app, endpoint, rule)
        as_role("leader")
        for htmx in (False, True):
            resp = client.post(url, data={}, htmx=htmx)
            _assert_no_patient_data(_text(resp), f"POST {url}", resp.get_data())
            _assert_no_patient_data(str(resp.headers), f"POST {url} headers")


# ---------------------------------------------------------------- hostile input


def _forms_for(app, client, as_role, endpoint: str, rule: str, role):
    as_role(role)
    start = [sweep.build_url(app, e, r) for e, r in GET_ROUTES
             if role is None or role in sweep.allowed(app, e)]
    found = sweep.crawl(client, app, start)
    forms = [f for f in found.forms if sweep.match(app, f.action, "POST") == endpoint]
    unique = {}
    for form in forms:
        unique.setdefault((form.action, tuple(n for n, _ in form.fields)), form)
    if unique:
        return list(unique.values())
    return [sweep.Form("(none)", sweep.build_url(app, endpoint, rule), list(FALLBACK_FIELDS))]


def _body(fields, target: str, payload, token: str) -> str:
    pairs = [(name, payload if name == target else value) for name, value in fields
             if name != "csrf_token"]
    return urlencode([*pairs, ("csrf_token", token)])


@pytest.mark.parametrize(("endpoint", "rule"), POST_ROUTES, ids=[e for e, _ in POST_ROUTES])
def test_hostile_input_into_every_field(app, client, as_role, endpoint, rule):
    role = _role_for(app, endpoint)
    skip = tuple(WRITES_ON_REFUSAL.get(endpoint, ()))
    forms = _forms_for(app, client, as_role, endpoint, rule, role)
    for form in forms:
        names = sorted({n for n, _ in form.fields if n != "csrf_token"})
        for target in names:
            for kind, payload in HOSTILE.items():
                for htmx in (False, True) if kind in ("script", "htmx") else (False,):
                    as_role(role)
                    before = sweep.snapshot(skip=skip)
                    resp = client.post(form.action, htmx=htmx,
                                       data=_body(form.fields, target, payload, client.csrf_token()),
                                       content_type="application/x-www-form-urlencoded")
                    where = f"POST {form.action} {target}={kind} htmx={htmx} (form on {form.page})"
                    assert resp.status_code < 500, f"{where}: {resp.status_code}"
                    text = _text(resp) if "html" in (resp.mimetype or "") else ""
                    for marker in RAW_MARKERS:
                        assert marker not in text, f"{where}: input echoed unescaped"
                    if 400 <= resp.status_code < 500:
                        assert sweep.changed(before, sweep.snapshot(skip=skip)) == [], \
                            f"{where}: {resp.status_code} but data changed"
    # whatever was stored is shown escaped everywhere afterwards
    for role_seen in sweep.ROLES:
        as_role(role_seen)
        found = sweep.crawl(client, app, [sweep.build_url(app, e, r) for e, r in GET_ROUTES
                                          if role_seen in sweep.allowed(app, e)])
        for url, resp in found.pages.items():
            assert resp.status_code < 500, (url, role_seen)
            text = _text(resp) if "html" in (resp.mimetype or "") else ""  # CSV stays raw
            for marker in RAW_MARKERS:
                assert marker not in text, f"GET {url} as {role_seen} shows stored input unescaped"
