"""The case page as rendered with its shortcuts (messages looked up once per language, blank
forms' fields rendered once, the timeline written in Python) is the page the plain
mechanisms render; hostile text is escaped; a posted form keeps its input and errors."""
import re
from datetime import timedelta

import pytest

from portal import templating
from portal.complaints import case_views, changes
from portal.extensions import db
from portal.timeutil import local_today
from tests import factories
from tests.complaints import factories as cf

XSS = '<script>alert("x")</script>'
ESCAPED_XSS = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"


def _busy_case():
    """A complaint in corrective action with a root cause, an open and a done action, a
    comment, a field change and state changes on its timeline (hostile text in each)."""
    q = factories.user("quality", display_name=XSS)
    factories.user("nurse", wards="W01")
    c = cf.case(user=q, wards=("W01",), description=XSS, complainant_name=XSS)
    db.session.commit()
    changes.move(c, q, "assign", c.version)
    c.state = "investigating"  # a head nurse's move
    changes.comment(c, q, XSS)
    changes.add_cause(c, q, "method", XSS, "lesson " + XSS)
    changes.add_action(c, q, XSS, local_today() + timedelta(days=3), owner_name="张三")
    done = changes.add_action(c, q, "second " + XSS, local_today() + timedelta(days=5),
                              owner_name="李四")
    db.session.flush()
    changes.action_done(c, q, done)
    changes.edit(c, q, c.version, {"staff_names": XSS})
    db.session.commit()
    return c


def _normalised(text: str) -> str:
    # CSRF tokens are signed with a timestamp: equal pages may differ there only
    # and the footer's "printed at" minute may tick between two requests
    text = re.sub(r'<span class="print-only">[^<]*</span>', "", text)
    text = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', text)
    return re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', text)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_case_page_same_as_plain_rendering(client, login, app, monkeypatch, lang):
    c = _busy_case()
    login("quality")
    headers = {"Accept-Language": lang}
    fast = [client.get(f"/complaints/{c.id}", headers=headers, htmx=htmx).text
            for htmx in (False, True)]
    # the plain mechanisms: the installed gettext, every field through the macro each time
    monkeypatch.setattr(templating, "jinja_gettext", lambda locale: app.jinja_env.globals["gettext"])
    monkeypatch.setattr(case_views, "_blank", lambda form_class: form_class(formdata=None))
    plain = [client.get(f"/complaints/{c.id}", headers=headers, htmx=htmx).text
             for htmx in (False, True)]
    assert [_normalised(t) for t in fast] == [_normalised(t) for t in plain]
    assert fast[1].count("<li><time>") >= 6 and 'name="narrative"' in fast[1]


def test_register_same_as_plain_rendering(client, login, app, monkeypatch):
    cf.case(wards=("W01",))
    db.session.commit()
    login("quality")
    urls = ("/complaints?view=queue", "/complaints?view=all&state=open", "/complaints/waiting")
    fast = [client.get(u, headers={"Accept-Language": lang}).text
            for u in urls for lang in ("zh-CN", "en")]
    monkeypatch.setattr(templating, "jinja_gettext", lambda locale: app.jinja_env.globals["gettext"])
    plain = [client.get(u, headers={"Accept-Language": lang}).text
             for u in urls for lang in ("zh-CN", "en")]
    assert [_normalised(t) for t in fast] == [_normalised(t) for t in plain]


def test_timeline_escaped_and_worded(client, login):
    c = _busy_case()
    login("quality")
    for htmx in (False, True):
        text = client.get(f"/complaints/{c.id}", headers={"Accept-Language": "en"},
                          htmx=htmx).text
        assert XSS not in text and "<script>" not in text
        timeline = text[text.index('<ol class="timeline">'):text.index("</ol>")]
        assert f" · {ESCAPED_XSS} · Comment: {ESCAPED_XSS}</li>" in timeline  # user, comment
        assert f"Root cause (Method): {ESCAPED_XSS}</li>" in timeline
        assert f"Corrective action · added: {ESCAPED_XSS} (张三, " in timeline
        assert f"Corrective action · done: second {ESCAPED_XSS}</li>" in timeline
        assert f"<del></del> → {ESCAPED_XSS}</li>" in timeline  # the staff names changed
        assert "State: Received → Assigned</li>" in timeline
        assert re.search(r"<li><time>\d{4}-\d\d-\d\d \d\d:\d\d</time> · ", timeline)


def test_posted_form_keeps_input_blank_form_stays_blank(client, login):
    c = _busy_case()
    login("quality")
    blank = client.get(f"/complaints/{c.id}", htmx=True).text
    r = client.post(f"/complaints/{c.id}/causes", htmx=True,
                    data={"category": "people", "narrative": "", "lesson": "kept " + XSS})
    assert r.status_code == 422 and f"kept {ESCAPED_XSS}" in r.text
    assert 'aria-invalid="true"' in r.text and XSS not in r.text
    again = client.get(f"/complaints/{c.id}", htmx=True).text
    assert "kept" not in again and 'aria-invalid="true"' not in again
    assert _normalised(again) == _normalised(blank)
    r = client.post(f"/complaints/{c.id}/comment", data={"comment": ""}, htmx=True)
    assert r.status_code == 422 and 'aria-invalid="true"' in r.text


def test_action_owner_choices_follow_the_case(client, login):
    """The owner select is not a cached field: it lists each case's own wards' nurses."""
    a = cf.case(wards=("W01",))
    b = cf.case(wards=("W02",))
    factories.user("nurse", wards="W01", display_name="一病区护士")
    factories.user("nurse", wards="W02", display_name="二病区护士")
    db.session.commit()
    login("quality")
    for case in (a, b):
        changes.move(case, factories.user("quality"), "assign", case.version)
    db.session.commit()
    text_a = client.get(f"/complaints/{a.id}").text
    text_b = client.get(f"/complaints/{b.id}").text
    assert "一病区护士" in text_a and "二病区护士" not in text_a
    assert "二病区护士" in text_b and "一病区护士" not in text_b
