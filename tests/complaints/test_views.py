"""Complaint pages and fragments: roles, object access, bad input, 403/409/422, escaping."""
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.complaints.models import Complaint
from portal.extensions import db
from tests import factories
from tests.complaints import factories as cf

XSS = '<script>alert("x")</script>'


def _case(**kw):
    c = cf.case(**kw)
    db.session.commit()
    return c


def test_register_page_and_fragment(client, login):
    login("quality")
    c = _case()
    page = client.get("/complaints")
    assert page.status_code == 200 and c.reference in page.text and "<html" in page.text
    frag = client.get("/complaints?view=all&kind=complaint", htmx=True)
    assert frag.status_code == 200 and "<html" not in frag.text and 'id="register"' in frag.text
    assert c.reference in frag.text


def test_register_scoped_to_wards(client, login):
    q = factories.user("quality")
    mine, other = _case(user=q, wards=("W01",)), _case(user=q, wards=("W02",))
    login("nurse", ward="W01")
    text = client.get("/complaints?view=all").text
    assert mine.reference in text and other.reference not in text


def test_queue_sorted_by_deadline(client, login):
    from datetime import date

    q = login("quality")
    late = _case(user=q, received=date(2026, 11, 20))
    soon = _case(user=q, received=date(2026, 11, 2))
    text = client.get("/complaints?view=queue").text
    assert text.index(soon.reference) < text.index(late.reference)
    assert "Overdue" in text or "逾期" in text


def test_new_page_fragment_and_filing(client, login):
    nurse = login("nurse")
    assert client.get("/complaints/new").status_code == 200
    r = client.post("/complaints/new", htmx=True, data={
        "kind": "complaint", "source": "telephone", "description": XSS, "ward_ids": [nurse.wards[0].id],
        "severity": "medium", "category_id": cf.category().id, "complainant_phone": "13812345678"})
    assert r.status_code == 204 and "HX-Location" in r.headers
    case = db.session.scalar(select(Complaint))
    assert case.reference == "TS-2026-0001" or case.reference.startswith("TS-")
    assert case.receiver_id == nurse.id and case.description == XSS
    page = client.get(f"/complaints/{case.id}")
    assert XSS not in page.text and "&lt;script&gt;" in page.text
    assert "13812345678" not in page.text and "138****5678" in page.text


def test_new_description_too_long_422(client, login):
    login("nurse")
    r = client.post("/complaints/new", htmx=True, data={
        "kind": "complaint", "source": "telephone", "description": "x" * 10_001, "severity": "low"})
    assert r.status_code == 422 and "10000" in r.text.replace(",", "")
    assert db.session.scalar(select(Complaint)) is None


def test_new_refused_for_leader_and_admin(client, login):
    for role in ("leader", "admin"):
        login(role)
        assert client.get("/complaints/new").status_code == 403


def test_prefill_from_attempt(client, login):
    attempt = cf.call_attempt("W01", concerns="夜间巡视不及时")
    db.session.commit()
    login("nurse", ward="W01")
    r = client.get(f"/complaints/new?attempt={attempt.id}&kind=complaint")
    assert r.status_code == 200 and "夜间巡视不及时" in r.text
    r = client.get(f"/complaints/new?attempt={attempt.id}&kind=praise")
    assert "感谢王护士" in r.text
    r = client.post(f"/complaints/new?attempt={attempt.id}&kind=complaint", data={
        "kind": "complaint", "source": "call", "description": "夜间巡视不及时", "severity": "low",
        "attempt": attempt.id})
    assert r.status_code == 303
    case = db.session.scalar(select(Complaint))
    assert case.call_attempt_id == attempt.id and case.task_id == attempt.task_id
    assert case.patient_id == attempt.task.discharge.patient_id


def test_prefill_other_ward_404(client, login):
    attempt = cf.call_attempt("W02")
    db.session.commit()
    login("nurse", ward="W01")
    assert client.get(f"/complaints/new?attempt={attempt.id}&kind=complaint").status_code == 404
    assert client.post("/complaints/new", data={"kind": "complaint", "source": "call",
                                                "description": "x", "severity": "low",
                                                "attempt": attempt.id}).status_code == 404
    login("quality")
    assert client.get(f"/complaints/new?attempt={attempt.id}&kind=complaint").status_code == 200


def test_detail_page_fragment_and_other_ward_404(client, login):
    q = factories.user("quality")
    c = _case(user=q, wards=("W02",))
    login("nurse", ward="W01")
    assert client.get(f"/complaints/{c.id}").status_code == 404
    assert client.post(f"/complaints/{c.id}/comment", data={"comment": "x"}).status_code == 404
    login("head_nurse", ward="W02")
    page = client.get(f"/complaints/{c.id}")
    assert page.status_code == 200 and "<html" in page.text
    frag = client.get(f"/complaints/{c.id}", htmx=True)
    assert 'id="case"' in frag.text and "<html" not in frag.text
    login("leader")
    assert client.get(f"/complaints/{c.id}").status_code == 403


def test_reveal_phone_audited(client, login):
    c = _case(complainant_phone="13812345678")
    login("quality")
    r = client.post(f"/complaints/{c.id}/phone", htmx=True)
    assert r.status_code == 200 and "13812345678" in r.text and 'id="case-phone"' in r.text
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "complaint.phone_revealed"))
    assert entry.object_id == str(c.id) and "1381234" not in repr(entry.detail)


def test_move_403_409_422(client, login):
    c = _case(wards=("W01",))
    login("head_nurse", ward="W01")
    r = client.post(f"/complaints/{c.id}/move/assign", data={"version": c.version}, htmx=True)
    assert r.status_code == 403
    login("quality")
    r = client.post(f"/complaints/{c.id}/move/close", data={"version": c.version})
    assert r.status_code == 409 and "分派至病区" in r.text and "撤销" in r.text
    r = client.post(f"/complaints/{c.id}/move/nonsense", data={"version": c.version})
    assert r.status_code == 404


def test_respond_needs_cause_and_response_422(client, login):
    q = factories.user("quality")
    c = _case(user=q, wards=("W01",))
    c.state = "investigating"
    db.session.commit()
    login("head_nurse", ward="W01")
    r = client.post(f"/complaints/{c.id}/move/respond", data={"version": c.version,
                                                               "response": ""}, htmx=True)
    assert r.status_code == 422 and 'id="case"' in r.text
    assert r.text.count('class="error"') >= 2
    db.session.expire_all()
    assert db.session.get(Complaint, c.id).state == "investigating"


def test_stale_move_409_shows_changes(client, login):
    q = factories.user("quality", display_name="质控王")
    c = _case(user=q)
    loaded = c.version
    from portal.complaints import changes

    changes.edit(c, q, loaded, {"severity": "high"})
    db.session.commit()
    login("quality")
    r = client.post(f"/complaints/{c.id}/move/assign",
                    data={"version": loaded, "ward_ids": [factories.ward("W01").id]}, htmx=True)
    assert r.status_code == 409 and 'id="stale"' in r.text and "质控王" in r.text
    db.session.expire_all()
    assert db.session.get(Complaint, c.id).state == "received"


def test_stale_edit_409_keeps_input(client, login):
    q = factories.user("quality", display_name="质控李")
    c = _case(user=q)
    loaded = c.version
    from portal.complaints import changes

    changes.edit(c, q, loaded, {"description": "changed by someone"})
    db.session.commit()
    login("quality")
    r = client.post(f"/complaints/{c.id}/edit", htmx=True, data={
        "version": loaded, "description": "my text", "source": "telephone", "severity": "low",
        "ward_ids": [factories.ward("W01").id]})
    assert r.status_code == 409 and "质控李" in r.text and "my text" in r.text
    db.session.expire_all()
    assert db.session.get(Complaint, c.id).description == "changed by someone"


def test_edit_page_fragment_and_save(client, login):
    c = _case()
    login("quality")
    assert client.get(f"/complaints/{c.id}/edit").status_code == 200
    assert 'id="edit-case"' in client.get(f"/complaints/{c.id}/edit", htmx=True).text
    r = client.post(f"/complaints/{c.id}/edit", data={
        "version": c.version, "description": XSS, "source": "letter", "severity": "high",
        "ward_ids": [factories.ward("W01").id, factories.ward("W02").id]})
    assert r.status_code == 303
    db.session.expire_all()
    c = db.session.get(Complaint, c.id)
    assert c.severity == "high" and len(c.wards) == 2 and c.source == "letter"
    text = client.get(f"/complaints/{c.id}").text
    assert XSS not in text and "&lt;script&gt;" in text


def test_notifications_and_badge(client, login):
    q = factories.user("quality")
    c = _case(user=q, wards=("W01",))
    from portal.complaints import changes

    changes.move(c, q, "assign", c.version)
    db.session.commit()
    login("head_nurse", ward="W01")
    page = client.get("/complaints/waiting")
    assert page.status_code == 200 and c.reference in page.text
    frag = client.get("/complaints/waiting", htmx=True)
    assert 'id="waiting"' in frag.text and "<html" not in frag.text
    badge = client.get("/complaints/badge", htmx=True)
    assert badge.status_code == 200 and ">1" in badge.text.replace("</span>", ">")
    login("head_nurse", ward="W02")
    assert c.reference not in client.get("/complaints/waiting").text


def test_praise_short_path_and_counts(client, login):
    p = _case(kind="praise", praise_type="banner", wards=("W01",))
    login("head_nurse", ward="W01")
    r = client.post(f"/complaints/{p.id}/move/acknowledge", data={"version": p.version})
    assert r.status_code == 303
    login("quality")
    db.session.expire_all()
    p = db.session.get(Complaint, p.id)
    assert client.post(f"/complaints/{p.id}/move/close", data={"version": p.version}).status_code == 303
    ward = factories.ward("W01")
    text = client.get(f"/complaints?view=all&ward={ward.id}", htmx=True).text
    assert 'id="kind-counts"' in text and ": 1" in text.split('id="kind-counts"')[1].split("</p>")[0]


def test_csrf_kept_on(client, login):
    c = _case()
    login("quality")
    assert client.post(f"/complaints/{c.id}/comment", data={"comment": "x"},
                       csrf=False).status_code == 400
