"""The case lists (register, queue, waiting for me) written by rows.table_html and read with
statements built once per filter shape: escaping, what a row shows, every filter."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from portal.complaints import changes
from portal.complaints.models import Complaint, ComplaintCategory
from portal.extensions import db
from portal.timeutil import LOCAL_TZ, local_today
from tests import factories
from tests.complaints import factories as cf

XSS = '<script>alert("x")</script>'
ESCAPED_XSS = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
HOSTILE_CODE = "<i>\"'&"   # a ward code (16 characters at most)


def _commit(c):
    db.session.commit()
    return c


def _refs(client, url: str) -> set[str]:
    return set(re.findall(r'<a href="/complaints/\d+">([^<]+)</a>', client.get(url).text))


def _hostile_case(q):
    ward = factories.ward(HOSTILE_CODE, name=XSS)
    cat = cf.category()
    cat.name_zh = cat.name_en = XSS
    c = cf.case(user=q, wards=(ward.code,))
    db.session.flush()
    db.session.execute(update(Complaint).where(Complaint.id == c.id)
                       .values(reference="<b>'\"&1"))
    db.session.commit()
    return c


def test_list_rows_escape_hostile_text_in_page_and_fragment(client, login):
    q = login("quality")
    _hostile_case(q)
    for url in ("/complaints?view=queue", "/complaints?view=all", "/complaints/waiting"):
        for htmx in (False, True):
            text = client.get(url, htmx=htmx).text
            assert XSS not in text and "<b>" not in text and "<i>" not in text, (url, htmx)
            assert "&lt;b&gt;&#39;&#34;&amp;1</a>" in text, (url, htmx)  # the reference
            assert "<td>&lt;i&gt;&#34;&#39;&amp;</td>" in text, (url, htmx)  # the ward code
            assert f"<td>{ESCAPED_XSS}</td>" in text, (url, htmx)  # the category
    # the filters' choices (Jinja) are escaped too
    text = client.get("/complaints?view=all").text
    assert "&lt;i&gt;&#34;&#39;&amp; &lt;script&gt;" in text


def test_list_row_shows_labels_deadline_badges_and_link(client, login):
    q = login("quality")
    today = local_today()
    overdue = _commit(cf.case(user=q, wards=("W02", "W01"), received=today - timedelta(days=40),
                              severity="high"))
    praise = _commit(cf.case(user=q, kind="praise", praise_type="banner", cat=None))
    db.session.execute(update(Complaint).where(Complaint.id == overdue.id)
                       .values(is_repeat=True))
    db.session.commit()
    en = {"Accept-Language": "en"}
    text = client.get("/complaints?view=all", headers=en).text
    row = text[text.index(f'<a href="/complaints/{overdue.id}">'):]
    row = row[:row.index("</tr>")]
    assert f">{overdue.reference}</a>" in row and 'class="badge warn" title="Repeat"' in row
    assert "<td>Complaint</td>" in row and "<td>High</td>" in row
    assert "<td>W01, W02</td>" in row  # codes by code
    assert f"<td>{cf.category().name_en}</td>" in row
    assert f"<td>{overdue.next_due_on.isoformat()}</td>" in row
    assert '<span class="badge bad">Overdue by ' in row
    received = overdue.received_at.astimezone(LOCAL_TZ)
    assert f"<td>{received:%Y-%m-%d %H:%M}</td>" in row
    prow = text[text.index(f'<a href="/complaints/{praise.id}">'):]
    prow = prow[:prow.index("</tr>")]
    assert "<td>Praise</td>" in prow and "title=\"Repeat\"" not in prow
    # Chinese labels in the Chinese page
    zh = client.get("/complaints?view=all", headers={"Accept-Language": "zh-CN"}).text
    assert f"<td>{cf.category().name_zh}</td>" in zh and "<td>投诉</td>" in zh


def test_every_register_filter(client, login):
    q = factories.user("quality")
    staff = factories.user("nurse", wards="W02")
    today = local_today()
    a = cf.case(user=q, wards=("W01",), cat="attitude")
    b = cf.case(user=q, wards=("W02",), cat="communication", staff=(staff,))
    p = cf.case(user=q, kind="praise", praise_type="banner", wards=("W02",), cat=None)
    old = cf.case(user=q, wards=("W01",), received=today - timedelta(days=40))
    db.session.execute(update(Complaint).values(is_repeat=Complaint.id == b.id))
    db.session.execute(update(Complaint).where(Complaint.id == a.id).values(state="closed",
                                                                          next_due_on=None))
    db.session.commit()
    w1, w2 = factories.ward("W01"), factories.ward("W02")
    cat = db.session.get(ComplaintCategory, b.category_id)
    login("quality")
    every = {a.reference, b.reference, p.reference, old.reference}
    assert _refs(client, "/complaints?view=all") == every
    assert _refs(client, "/complaints?view=queue") == every - {a.reference}
    assert _refs(client, "/complaints?view=all&kind=praise") == {p.reference}
    assert _refs(client, "/complaints?view=all&state=closed") == {a.reference}
    assert _refs(client, "/complaints?view=all&state=open") == every - {a.reference}
    assert _refs(client, f"/complaints?view=all&ward={w1.id}") == {a.reference, old.reference}
    assert _refs(client, f"/complaints?view=all&ward={w2.id}&kind=complaint") == {b.reference}
    assert _refs(client, f"/complaints?view=all&category={cat.id}") == {b.reference}
    assert _refs(client, "/complaints?view=all&repeat=1") == {b.reference}
    assert _refs(client, "/complaints?view=all&overdue=1") == {old.reference}
    assert _refs(client, f"/complaints?view=all&ref={b.reference.lower()}") == {b.reference}
    assert _refs(client, "/complaints?view=all&ref=+") == set()
    assert _refs(client, f"/complaints?view=all&staff={staff.id}") == {b.reference}
    text = client.get(f"/complaints?view=all&ward={w2.id}").text
    assert re.search(r'id="kind-counts">[^<]*: 1 · [^<]*: 1 · [^<]*: 0<', text)
    # a nurse of W01 sees W01's cases and the ones she received; the same filters apply
    login("nurse", ward="W01")
    assert _refs(client, "/complaints?view=all") == {a.reference, old.reference}
    assert _refs(client, "/complaints?view=queue") == {old.reference}
    assert _refs(client, "/complaints?view=all&state=closed") == {a.reference}
    # the queue by nearest deadline; a second page
    login("quality")
    text = client.get("/complaints?view=queue").text
    assert text.index(old.reference) < text.index(b.reference)


def test_register_pages(client, login, app):
    q = login("quality")
    cases = [cf.case(user=q, received=date(2026, 10, 1) + timedelta(days=i)) for i in range(5)]
    db.session.commit()
    app.config["PAGE_SIZE"] = 2
    first, second = _refs(client, "/complaints?view=all"), _refs(client, "/complaints?view=all&page=2")
    third = _refs(client, "/complaints?view=all&page=3")
    assert len(first) == len(second) == 2 and len(third) == 1
    assert first | second | third == {c.reference for c in cases}
    assert _refs(client, "/complaints?view=all&page=9") == set()
    assert _refs(client, "/complaints?view=all&page=0") == first
    text = client.get("/complaints?view=all&page=2", htmx=True).text
    assert 'rel="prev"' in text and 'rel="next"' in text and "<html" not in text


def _badge(client) -> int:
    text = client.get("/complaints/badge", htmx=True).text
    return int(text.rsplit(">", 1)[1])


def test_waiting_for_me_by_role(client, login):
    """The badge and the waiting list (statements built once per role, run with the user's
    wards and the next working day) agree, for each role's reasons."""
    q = factories.user("quality")
    far = local_today() + timedelta(days=30)
    cases = (("received", "complaint", "received", "W01", far),
             ("planned", "complaint", "corrective_action", "W01", far),  # an open action
             ("all_done", "complaint", "corrective_action", "W01", far),
             ("investigating", "complaint", "investigating", "W01", far),
             ("due_soon", "complaint", "investigating", "W02", local_today()),
             ("praise", "praise", "received", "W01", far),
             ("closed", "complaint", "closed", "W01", None))
    made = {}
    for name, kind, _state, ward, _due in cases:
        praise = kind == "praise"
        made[name] = cf.case(user=q, kind=kind, wards=(ward,), cat=None if praise else "attitude",
                             **({"praise_type": "banner"} if praise else {}))
    changes.add_action(made["planned"], q, "整改", far, owner_name="张三")
    db.session.flush()
    for name, _kind, state, _ward, due in cases:
        db.session.execute(update(Complaint).where(Complaint.id == made[name].id)
                           .values(state=state, next_due_on=due))
    db.session.commit()
    expected = {
        ("quality", None): {"received", "all_done", "due_soon", "praise"},
        ("head_nurse", "W01"): {"investigating", "praise"},
        ("head_nurse", "W02"): {"due_soon"},
        ("nurse", "W01"): set(),
    }
    for (role, ward), names in expected.items():
        login(role, ward=ward)
        refs = {made[n].reference for n in names}
        assert _refs(client, "/complaints/waiting") == refs, (role, ward)
        assert _badge(client) == len(names), (role, ward)


def test_waiting_pages_same_as_one_or_over_the_reasons(app):
    """The waiting list, read in pieces of one state and deadline range each cut at
    limit + offset, pages as one OR over the reasons in deadline order would: each role,
    pages of two, deadlines passed, tied, soon, later and none."""
    from sqlalchemy import or_, select

    from portal.complaints import notifications, rows, services

    q = factories.user("quality")
    today = local_today()
    dues = (today - timedelta(days=3), today, today, today + timedelta(days=1),
            today + timedelta(days=9), None)
    states = ("received", "assigned", "investigating", "responded", "corrective_action",
              "verified", "closed")
    made = []
    for i, (state, due) in enumerate((s, d) for s in states for d in dues):
        kind = "praise" if state == "received" and i % 2 else "complaint"
        c = cf.case(user=q, kind=kind, wards=("W01" if i % 3 else "W02",),
                    cat=None if kind == "praise" else "attitude",
                    **({"praise_type": "banner"} if kind == "praise" else {}))
        made.append((c, state, due))
    changes.add_action(made[-8][0], q, "整改", today, owner_name="张三")  # corrective, open
    db.session.flush()
    for c, state, due in made:
        db.session.execute(update(Complaint).where(Complaint.id == c.id)
                           .values(state=state, next_due_on=due))
    db.session.commit()
    from portal.complaints.rows import by_deadline

    for user in (q, factories.user("head_nurse", wards="W01"), factories.user("nurse", "W01")):
        see, role = notifications._shape(user)
        params = notifications._params(user)
        plain = db.session.scalars(
            select(Complaint.id).where(services.visible_with_params(see),
                                       or_(*notifications._parts(role)))
            .order_by(*by_deadline(Complaint)), params).all()
        assert len(plain) > 4 or role == "nurse", role
        pages = [rows.page_of(*notifications.waiting_statements(user), n, 2)
                 for n in range(1, len(plain) // 2 + 3)]
        assert [columns[0] for p in pages for columns, _codes in p.items] == plain, role
        assert {p.total for p in pages} == {len(plain)}, role


@pytest.mark.parametrize("filters", [{}, {"ward_id": "W01"}, {"kind": "complaint"},
                                     {"overdue": True}, {"repeat": True}])
def test_queue_pages_same_as_one_in_over_the_open_states(app, filters):
    """The quality queue, read in pieces of one state with deadlines set or not (each cut at
    limit + offset), pages as one IN over the open states in deadline order would: pages of
    two, deadlines passed, tied, later and none, with the register's filters."""
    from sqlalchemy import select

    from portal.complaints import rows, services
    from portal.complaints.rows import by_deadline

    q = factories.user("quality")
    today = local_today()
    dues = (today - timedelta(days=3), today, today, today + timedelta(days=9), None)
    states = ("received", "assigned", "corrective_action", "verified", "closed", "withdrawn")
    made = []
    for i, (state, due) in enumerate((s, d) for s in states for d in dues):
        kind = "praise" if i % 4 == 0 else "complaint"
        c = cf.case(user=q, kind=kind, wards=("W01" if i % 3 else "W02",),
                    cat=None if kind == "praise" else "attitude",
                    **({"praise_type": "banner"} if kind == "praise" else {}))
        made.append((c, state, due, i % 5 == 0))
    db.session.flush()
    for c, state, due, repeat in made:
        db.session.execute(update(Complaint).where(Complaint.id == c.id)
                           .values(state=state, next_due_on=due, is_repeat=repeat))
    db.session.commit()
    if "ward_id" in filters:
        filters = {**filters, "ward_id": factories.ward(filters["ward_id"]).id}
    f = services.Filters(queue=True, **filters)
    shape = services._shape(q, f)
    where = services._where(shape)
    params = services._params(q, f, today)
    plain = db.session.scalars(select(Complaint.id).where(*where)
                               .order_by(*by_deadline(Complaint)), params).all()
    assert len(plain) > 2
    pages = [rows.page_of(*services.register_statements(q, f, today), n, 2)
             for n in range(1, len(plain) // 2 + 3)]
    assert [columns[0] for p in pages for columns, _codes in p.items] == plain
    assert {p.total for p in pages} == {len(plain)}
