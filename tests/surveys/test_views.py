"""Survey pages and fragments per role, bad input, the public page, exports."""
import csv
import io
import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.surveys.models import Answer, Response, ReviewItem
from tests import factories as f
from tests.surveys import factories as sf


def _q(template, position):
    return next(q for q in template.current.questions if q.position == position)


# --- the public self-service page -------------------------------------------------------

def test_take_page_shows_questions_and_no_patient_data(app, client):
    ward = f.ward("W01")
    tpl = sf.builtin("INPATIENT-SELF")
    token, _ = sf.invitation(tpl, ward.id)
    db.session.commit()
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "很不满意" in html and 'name="q' in html and "测试患者" not in html
    assert 'style="' not in html


def test_take_records_an_anonymous_response_once(app, client):
    ward = f.ward("W01")
    tpl = sf.builtin("INPATIENT-SELF")
    token, _ = sf.invitation(tpl, ward.id)
    db.session.commit()
    q1, q7 = _q(tpl, 1), _q(tpl, 7)
    ok = client.post(f"/s/{token}", data={f"q{q1.id}": "very_poor", f"q{q7.id}": "=HYPERLINK()"})
    assert ok.status_code == 200
    resp = db.session.scalar(select(Response))
    assert resp.channel == "self" and resp.anonymous and resp.ward_id == ward.id
    assert resp.period.isoformat() == "2026-10-01"
    assert db.session.scalar(select(func.count()).select_from(ReviewItem)) == 1
    again = client.post(f"/s/{token}", data={f"q{q1.id}": "good"})
    assert again.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_used_expired_and_unknown_tokens_look_the_same(app, client):
    from datetime import timedelta

    from portal.db import utcnow

    tpl = sf.builtin("INPATIENT-SELF")
    used, inv1 = sf.invitation(tpl)
    expired, inv2 = sf.invitation(tpl)
    inv1.used_at = utcnow()
    inv2.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    tokens = (used, expired, "never-issued-token-abcdefgh")
    pages = [client.get(f"/s/{t}") for t in tokens]
    assert {p.status_code for p in pages} == {404}

    def body(resp, token):  # the page differs only by its URL, the CSRF token's timestamp and the print time
        html = resp.get_data(as_text=True).replace(token, "TOKEN")
        html = re.sub(r'("X-CSRFToken": "|name="csrf_token" value=")[^"]+', r"\1CSRF", html)
        return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "TIME", html)

    assert len({body(p, t) for p, t in zip(pages, tokens, strict=True)}) == 1
    posted = client.post(f"/s/{expired}", data={f"q{_q(tpl, 1).id}": "good"})
    assert posted.status_code == 404 and body(posted, expired) == body(pages[0], used)
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


@pytest.mark.parametrize("position, value, message", [
    (2, "11", "0"),          # out of range on 0-10
    (2, "abc", "0"),         # wrong kind
    (1, "excellent", ""),    # not an option
    (7, "x" * 2001, "2000"),  # text too long
])
def test_bad_answers_get_422_beside_the_question(app, client, position, value, message):
    tpl = sf.builtin("INPATIENT-SELF")
    token, _ = sf.invitation(tpl)
    db.session.commit()
    q = _q(tpl, position)
    data = {f"q{_q(tpl, 1).id}": "good", f"q{q.id}": value}
    resp = client.post(f"/s/{token}", data=data, htmx=True)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert f'id="q{q.id}-error"' in html and message in html
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    # nothing was used up: the token still works
    assert client.get(f"/s/{token}").status_code == 200


def test_missing_required_answer_is_422(app, client):
    tpl = sf.builtin("INPATIENT-SELF")
    token, _ = sf.invitation(tpl)
    db.session.commit()
    resp = client.post(f"/s/{token}", data={f"q{_q(tpl, 2).id}": "9"})
    assert resp.status_code == 422
    assert f'id="q{_q(tpl, 1).id}-error"' in resp.get_data(as_text=True)


def test_tampered_question_id_is_400(app, client):
    tpl = sf.builtin("INPATIENT-SELF")
    token, _ = sf.invitation(tpl)
    db.session.commit()
    other = sf.builtin("NURSE-SELF").current.questions[0]
    resp = client.post(f"/s/{token}", data={f"q{_q(tpl, 1).id}": "good", f"q{other.id}": "5"})
    assert resp.status_code == 400
    assert client.post(f"/s/{token}", data={f"q{_q(tpl, 1).id}": "good", "q999999": "5"}
                       ).status_code == 400


def test_csrf_is_required_on_the_public_page(app, client):
    tpl = sf.builtin("INPATIENT-SELF")
    token, _ = sf.invitation(tpl)
    db.session.commit()
    assert client.post(f"/s/{token}", data={f"q{_q(tpl, 1).id}": "good"}, csrf=False
                       ).status_code == 400


def test_flooding_gets_429(app, client):
    codes = [client.post("/s/some-unknown-token", data={}).status_code for _ in range(12)]
    assert codes[:10] == [404] * 10 and codes[-1] == 429


# --- staff pages --------------------------------------------------------------------------

PAGES = [("/surveys", "sv-results"), ("/surveys/reviews", "sv-reviews"),
         ("/surveys/templates", "sv-template-form"), ("/surveys/paper", "sv-paper"),
         ("/surveys/slip", "sv-slip-form"), ("/surveys/campaigns", "sv-campaign-form")]
ROLES = {"/surveys": {"quality", "head_nurse"}, "/surveys/reviews": {"quality", "head_nurse"},
         "/surveys/templates": {"quality", "admin"},
         "/surveys/paper": {"nurse", "head_nurse", "quality"},
         "/surveys/slip": {"nurse", "head_nurse", "quality"}, "/surveys/campaigns": {"quality"}}


@pytest.mark.parametrize("role", ["nurse", "head_nurse", "quality", "leader", "admin"])
@pytest.mark.parametrize("url, root", PAGES)
def test_pages_and_fragments_per_role(app, client, login, role, url, root):
    login(role, ward="W01" if role in ("nurse", "head_nurse") else None)
    page = client.get(url)
    if role not in ROLES[url]:
        assert page.status_code == 403
        return
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    frag = client.get(url, htmx=True)
    assert frag.status_code == 200
    html = frag.get_data(as_text=True)
    assert "<html" not in html and f'id="{root}"' in html


def test_head_nurse_sees_only_own_wards(app, client, login):
    f.wards("W01", "W02")
    login("head_nurse", ward="W01")
    w2 = f.ward("W02")
    assert client.get(f"/surveys?ward={w2.id}").status_code == 404
    tpl = sf.builtin()
    sf.response(tpl, w2.id, **{"1": "1", "2": "1", "6": "1"})
    db.session.commit()
    item = db.session.scalar(select(ReviewItem))
    assert client.get(f"/surveys/reviews/{item.id}").status_code == 404
    assert "病区W02" not in client.get("/surveys/reviews?status=all").get_data(as_text=True)


def test_results_page_shows_scores_and_escaped_comments(app, client, login):
    login("quality")
    ward = f.ward("W01")
    tpl = sf.builtin()
    sf.response(tpl, ward.id, **{"1": "5", "2": "4", "6": "5", "8": "<script>x</script>"})
    db.session.commit()
    html = client.get(f"/surveys?template={tpl.id}&from=2026-01&to=2026-12").get_data(
        as_text=True)
    assert "100.0%" in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert '<svg class="sv-bars" role="img"' in html and "small-sample" in html
    assert client.get(f"/surveys?template={tpl.id}&from=2026-01&to=2026-12&q=nothing",
                      htmx=True).get_data(as_text=True).count("<li>") == 0


def test_review_marked_contacted(app, client, login):
    user = login("head_nurse", ward="W01")
    tpl = sf.builtin()
    sf.response(tpl, user.wards[0].id, **{"1": "1", "2": "1", "6": "1"})
    db.session.commit()
    item = db.session.scalar(select(ReviewItem))
    resp = client.post(f"/surveys/reviews/{item.id}", data={"status": "contacted",
                                                            "note": "已电话致歉"})
    assert resp.status_code == 303
    db.session.refresh(item)
    assert item.status == "contacted" and item.handled_by_id == user.id
    bad = client.post(f"/surveys/reviews/{item.id}", data={"status": "x"}, htmx=True)
    assert bad.status_code == 422


def test_paper_entry(app, client, login):
    user = login("nurse", ward="W01")
    tpl = sf.builtin()
    q1, q2, q6 = _q(tpl, 1), _q(tpl, 2), _q(tpl, 6)
    data = {"template_id": tpl.id, "ward_id": user.wards[0].id, "answered_on": "2026-10-03",
            f"q{q1.id}": "5", f"q{q2.id}": "4", f"q{q6.id}": "4"}
    assert client.post("/surveys/paper", data=data, htmx=True).status_code == 200
    resp = db.session.scalar(select(Response))
    assert resp.channel == "paper" and resp.entered_by_id == user.id
    bad = client.post("/surveys/paper", data={**data, f"q{q6.id}": "7"}, htmx=True)
    assert bad.status_code == 422 and f'id="q{q6.id}-error"' in bad.get_data(as_text=True)
    other = f.ward("W02")
    assert client.post("/surveys/paper", data={**data, "ward_id": other.id}).status_code == 422


def test_slip_issues_a_token_with_a_qr_code(app, client, login):
    user = login("nurse", ward="W01")
    tpl = sf.builtin("INPATIENT-SELF")
    resp = client.post("/surveys/slip", data={"template_id": tpl.id,
                                              "ward_id": user.wards[0].id,
                                              "discharged_on": "2026-10-20"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and '<svg' in html and "/s/" in html
    assert 'style=' not in html.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_campaign_issues_tokens_and_small_breakdowns_are_hidden(app, client, login):
    login("quality")
    w1 = f.ward("W01")
    tpl = sf.builtin("NURSE-SELF")
    resp = client.post("/surveys/campaigns", data={
        "title": "2026 护士满意度", "template_id": tpl.id, "ward_ids": [w1.id],
        "opens_on": "2026-01-01", "closes_on": "2099-12-31", "per_ward": 3})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html.count('class="sv-url"') == 3
    url = html.split('class="sv-url">', 1)[1].split("<", 1)[0]
    token = url.rsplit("/", 1)[1]
    q1, q2, q6 = _q(tpl, 1), _q(tpl, 2), _q(tpl, 6)
    assert client.post(f"/s/{token}", data={f"q{q1.id}": "4", f"q{q2.id}": "2",
                                            f"q{q6.id}": "4"}).status_code == 200
    assert db.session.scalar(select(Response.channel)) == "campaign"
    page = client.get(f"/surveys?template={tpl.id}&from=2026-01&to=2099-12")
    assert "hidden" in page.get_data(as_text=True) or "隐藏" in page.get_data(as_text=True)
    bad = client.post("/surveys/campaigns", data={"title": "x", "template_id": tpl.id,
                                                  "ward_ids": [w1.id], "opens_on": "2026-02-01",
                                                  "closes_on": "2026-01-01", "per_ward": 1})
    assert bad.status_code == 422


def test_export_csv_neutralises_formulas_and_is_audited(app, client, login):
    from portal.audit.models import AuditEntry

    login("quality")
    ward = f.ward("W01")
    tpl = sf.builtin()
    sf.response(tpl, ward.id, **{"1": "5", "2": "4", "6": "5", "8": "=1+2"})
    db.session.commit()
    resp = client.get(f"/surveys/templates/{tpl.id}/export.csv")
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "response" and ["'=1+2"] == [r[-1] for r in rows[1:] if r[-1]]
    assert "5" in [r[9] for r in rows[1:]]
    xlsx = client.get(f"/surveys/templates/{tpl.id}/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "survey.export")) == 2
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 4



def test_export_xlsx_survives_control_characters(app, client, login):
    from openpyxl import load_workbook

    login("quality")
    ward = f.ward("W01")
    tpl = sf.builtin()
    sf.response(tpl, ward.id, **{"1": "5", "2": "4", "6": "5", "8": "bell\x07 and -1"})
    db.session.commit()
    resp = client.get(f"/surveys/templates/{tpl.id}/export.xlsx")
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.data)).active
    values = [row for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "bell and -1" in [r[-1] for r in values] and 5 in [r[9] for r in values]


def test_slip_from_a_discharge_of_own_ward_only(app, client, login):
    from portal.surveys.models import Invitation
    from tests.followups.factories_worklist import discharge_w

    login("nurse", ward="W01")
    own, other = discharge_w("W01"), discharge_w("W02")
    db.session.commit()
    assert client.get(f"/surveys/slip?discharge={other.id}").status_code == 404
    page = client.get(f"/surveys/slip?discharge={own.id}").get_data(as_text=True)
    assert f'value="{own.id}"' in page and own.discharged_on.isoformat() in page
    tpl = sf.builtin("INPATIENT-SELF")
    resp = client.post("/surveys/slip", data={"template_id": tpl.id, "ward_id": own.ward_id,
                                              "discharged_on": own.discharged_on.isoformat(),
                                              "discharge_id": own.id})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and own.patient.name not in html and "肺炎" not in html
    inv = db.session.scalar(select(Invitation))
    assert inv.discharge_id == own.id and inv.period == own.discharged_on.replace(day=1)
    forged = client.post("/surveys/slip", data={"template_id": tpl.id, "ward_id": own.ward_id,
                                                "discharged_on": "2026-10-01",
                                                "discharge_id": other.id})
    assert forged.status_code == 404
