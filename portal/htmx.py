"""One URL, one view, two renderings: the full page, or its fragment for htmx.

`render(page, fragment, **ctx)` picks the rendering; `toast()` queues a message
that reaches the browser as a flash (full page) or an HX-Trigger event (htmx);
`redirect_after_post()` does post/redirect/get for both.
"""
from __future__ import annotations

import json

from flask import (
    Response,
    flash,
    g,
    get_flashed_messages,
    make_response,
    redirect,
    render_template,
    request,
    session,
)

TOAST_EVENT = "toast"


def is_htmx() -> bool:
    """A fragment request: sent by htmx, not a boosted navigation or a history restore."""
    h = request.headers
    return (h.get("HX-Request") == "true" and h.get("HX-Boosted") != "true"
            and h.get("HX-History-Restore-Request") != "true")


def render(page: str, fragment: str | None = None, status: int = 200, **ctx) -> Response:
    template = fragment if (fragment and is_htmx()) else page
    return make_response(render_template(template, **ctx), status)


def toast(message: str, level: str = "success") -> None:
    """A message for the person at the keyboard: a flash on the next full page, or, for an
    htmx fragment, an event on this response (kept off the session cookie: queuing it there
    only to take it out again would rewrite and re-sign the cookie on every logged call)."""
    if is_htmx():
        g.setdefault("hx_toasts", []).append((level, str(message)))
    else:
        flash(str(message), level)


def trigger(event: str, detail=None) -> None:
    """Fire a domain event in the browser (e.g. `complaint-changed`) after this response."""
    g.setdefault("hx_events", {})[event] = detail if detail is not None else True


def redirect_after_post(url: str) -> Response:
    """303 for a plain form post; HX-Location for htmx so the page moves without a reload."""
    if is_htmx():
        resp = make_response("", 204)
        # the GET that follows must return the full page (#main is selected from it): as a
        # plain htmx request it got the view's fragment, which has no #main, and the page
        # went blank; HX-Boosted makes is_htmx() false for it, as for a boosted link
        resp.headers["HX-Location"] = json.dumps({"path": url, "target": "#main",
                                                  "select": "#main",
                                                  "headers": {"HX-Boosted": "true"}})
        return resp
    return redirect(url, 303)


def hx_redirect(url: str, status: int = 200) -> Response:
    resp = make_response("", status)
    resp.headers["HX-Redirect"] = url
    return resp


def after_request(response: Response) -> Response:
    """Vary on HX-Request; turn flashes and events into HX-Trigger for htmx responses."""
    response.vary.add("HX-Request")
    toasts = g.pop("hx_toasts", [])
    if request.headers.get("HX-Request") != "true":
        return response
    events = dict(g.get("hx_events", {}))
    if "HX-Redirect" in response.headers or "HX-Location" in response.headers:
        # the next full page shows the messages; only domain events go now
        for level, message in toasts:
            flash(message, level)
    else:
        messages = toasts
        if "_flashes" in session:   # queued before this request, or by flash() itself
            messages = get_flashed_messages(with_categories=True) + messages
        if messages:
            events[TOAST_EVENT] = [{"level": level, "message": msg} for level, msg in messages]
    if events:
        existing = response.headers.get("HX-Trigger")
        if existing:
            events.update(json.loads(existing))
        # ensure_ascii: header values must be ASCII; Chinese text travels as \u escapes
        response.headers["HX-Trigger"] = json.dumps(events, ensure_ascii=True)
    return response
