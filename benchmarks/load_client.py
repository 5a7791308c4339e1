"""The load client of benchmarks/load.py: one keep-alive HTTP connection per simulated nurse
(http.client, cookies, CSRF token), the traffic mix, and the phases that share a bounded
number of requests among the clients. The same code drives the portal and the floor app.
"""
from __future__ import annotations

import http.client
import random
import re
import threading
import time
import uuid
from contextlib import suppress
from http.cookies import SimpleCookie
from urllib.parse import urlencode

PASSWORD = "load-test-password-2026"
TOKEN = re.compile(r'(?:name="csrf_token"[^>]*value="|"X-CSRFToken":\s*")([\w.\-]+)')

# ------------------------------------------------------------------ HTTP client

class ConnectionFailed(Exception):
    pass


class Client:
    """One keep-alive connection with its own cookies (one browser)."""

    def __init__(self, port: int):
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.token = ""

    def request(self, method: str, path: str, form: dict | None = None, htmx: bool = False):
        headers = {}
        body = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            headers["HX-Request"] = "true"
            headers["X-CSRFToken"] = self.token
        for attempt in (1, 2):
            reused = self.conn is not None
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (OSError, http.client.HTTPException) as e:
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                # a keep-alive connection the server closed meanwhile: send again once, as
                # browsers do (safe: GETs change nothing, writes carry an idempotency key)
                if attempt == 2 or not reused:
                    raise ConnectionFailed(str(e)) from None
        for raw in resp.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(raw)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return resp.status, resp, data

    def pick_token(self, html: bytes) -> None:
        found = TOKEN.search(html.decode("utf-8", "replace").replace("&#34;", '"'))
        if found:
            self.token = found.group(1)

    def sign_in(self, username: str) -> None:
        status, _, body = self.request("GET", "/login")
        self.pick_token(body)
        status, resp, _ = self.request("POST", "/login", {"username": username,
                                                          "password": PASSWORD,
                                                          "csrf_token": self.token})
        if status not in (302, 303):
            raise SystemExit(f"sign-in of {username} failed: {status}")
        status, _, body = self.request("GET", "/account/password")
        self.pick_token(body)

    def close(self):
        if self.conn is not None:
            self.conn.close()


# ------------------------------------------------------------------ database and data


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: list[tuple[str, int, float, float]] = []   # kind, status, latency, at
        self.acknowledged: list[str] = []
        self.complaints_acknowledged = 0
        self.connection_errors = 0
        self.bodies_5xx: list[str] = []
        self.clean_503 = 0   # 503 with a message and no traceback
        self.failed_calls: list[tuple] = []   # (client, url, key) answered 5xx or not at all


    def add(self, kind, status, latency, body=b""):
        with self.lock:
            self.samples.append((kind, status, latency, time.time()))
            if status == 503 and body.strip() and b"Traceback" not in body:
                self.clean_503 += 1
            if status >= 500 and len(self.bodies_5xx) < 3:
                self.bodies_5xx.append(body[:300].decode("utf-8", "replace"))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Traffic:
    def __init__(self, plan: dict, endpoints: dict, tasks: dict, rng: random.Random):
        self.plan = plan
        self.endpoints = endpoints
        self.tasks = tasks
        self.rng = rng

    def one(self, client: Client, ward_id: int, stats: Stats, complaint_form) -> int | None:
        """One request of a random kind; its status, or None when there was no answer."""
        kinds, weights = zip(*self.plan.items(), strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        started = time.perf_counter()
        key = url = None
        try:
            if kind == "call":
                key = uuid.uuid4().hex
                task_id = self.rng.choice(self.tasks[ward_id])
                url = self.endpoints["call"].format(id=task_id)
                status, resp, body = client.request("POST", url, {"outcome": "no_answer",
                                                                   "key": key}, htmx=True)
                if status in (200, 204, 303):
                    with stats.lock:
                        stats.acknowledged.append(key)
                elif status >= 500:
                    with stats.lock:
                        stats.failed_calls.append((client, url, key))
            elif kind == "floor":  # the floor app: one row per request, the same client
                floor_key = uuid.uuid4().hex
                status, resp, body = client.request("POST", self.endpoints["floor"],
                                                    {"key": floor_key})
                if status == 200:
                    with stats.lock:
                        stats.acknowledged.append(floor_key)
            elif kind == "complaint":
                action, fields = complaint_form
                data = dict(fields, csrf_token=client.token)
                status, resp, body = client.request("POST", action, data, htmx=True)
                if status in (200, 201, 204, 303):
                    with stats.lock:
                        stats.complaints_acknowledged += 1
            else:
                status, resp, body = client.request("GET", self.endpoints[kind])
        except ConnectionFailed:
            with stats.lock:
                stats.connection_errors += 1
                if key:
                    stats.failed_calls.append((client, url, key))
            return None
        stats.add(kind, status, time.perf_counter() - started, body)
        return status


def resend_failed(stats: Stats) -> int:
    """What a nurse does after an error: press the button again (same form, same key).

    A call whose first try committed but whose answer was lost is replayed, not doubled.
    Returns how many resends succeeded; their keys count as acknowledged."""
    ok = 0
    for client, url, key in stats.failed_calls:
        with suppress(ConnectionFailed):
            status, _, _ = client.request("POST", url, {"outcome": "no_answer", "key": key},
                                          htmx=True)
            if status in (200, 204, 303):
                stats.acknowledged.append(key)
                ok += 1
    return ok


def complaint_form(client: Client, page: str):
    """The complaint page's own post form, filled in: (action, fields) or None.

    The header's forms (language, sign-out) also post: the form posting to the page itself
    (or with the most fields) is the one."""
    from html.parser import HTMLParser
    from urllib.parse import urlsplit

    status, _, body = client.request("GET", page)
    if status != 200:
        return None
    samples = {"date": "2026-01-05", "datetime-local": "2026-01-05T10:00", "number": "1",
               "tel": "13800000000", "email": "load@example.org"}

    class P(HTMLParser):
        def __init__(self):
            super().__init__()
            self.forms, self.form, self.select = [], None, None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form":
                if (a.get("method") or "").lower() == "post":
                    self.form = (a.get("hx-post") or a.get("action") or page, {})
                    self.forms.append(self.form)
                return
            if self.form is None:
                return
            fields = self.form[1]
            name = a.get("name")
            kind = (a.get("type") or "text").lower()
            if tag == "input" and name and kind not in ("submit", "button"):
                if kind in ("checkbox", "radio") and name in fields:
                    return
                value = a.get("value") or samples.get(kind, "")
                if not value and kind == "text":
                    value = "13800000000" if "phone" in name else "Load test"
                fields[name] = value
            elif tag == "select" and name:
                self.select = name
            elif tag == "option" and self.select and self.select not in fields and a.get("value"):
                fields[self.select] = a["value"]
            elif tag == "textarea" and name:
                fields[name] = "Load test: the family says the discharge advice was unclear."

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None
            elif tag == "form":
                self.form = None

    parser = P()
    parser.feed(body.decode("utf-8", "replace"))
    if not parser.forms:
        return None
    own = [f for f in parser.forms if urlsplit(f[0]).path == urlsplit(page).path]
    action, fields = max(own or parser.forms, key=lambda f: len(f[1]))
    fields.pop("csrf_token", None)
    return action, fields


def run_phase(clients, homes, traffic: Traffic, requests: int, complaint_forms,
              during=None, count_failures: bool = True, deadline_s: float = 600) -> tuple[Stats, float]:
    """`requests` requests shared by the clients; with count_failures=False (a database
    outage) only answered requests count, so the load outlasts the outage (up to deadline_s)."""
    stats = Stats()
    lock = threading.Lock()
    state = {"issued": 0, "done": 0}
    stop_at = time.time() + deadline_s

    def worker(i):
        while time.time() < stop_at:
            with lock:
                if state["issued"] >= requests:
                    return
                state["issued"] += 1
            status = traffic.one(clients[i], homes[i], stats, complaint_forms[i])
            with lock:
                n = state["done"]
                state["done"] += 1
                if not count_failures:
                    if status is None or status >= 500:
                        state["issued"] -= 1
            if during:
                during(n)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(clients))]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stats, time.perf_counter() - started


def summary(stats: Stats, elapsed: float, prefix: str) -> dict:
    latencies = [s[2] for s in stats.samples]
    return {
        f"{prefix}requests": len(stats.samples),
        f"{prefix}rps": round(len(stats.samples) / elapsed, 1) if elapsed else 0,
        f"{prefix}p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        f"{prefix}p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        f"{prefix}p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        f"{prefix}5xx": sum(1 for s in stats.samples if s[1] >= 500),
    }


# ------------------------------------------------------------------ verification

