"""The HTMX template editor: add, edit, reorder, remove; versions; stale saves; bad input."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.surveys.models import Answer, SurveyTemplate
from tests import factories as f
from tests.surveys import factories as sf


def _url(tpl, suffix=""):
    return f"/surveys/templates/{tpl.id}{suffix}"


QUESTION = {"kind": "scale5", "text_zh": "护士是否主动巡视病房", "text_en": "Rounds",
            "dimension": "响应及时", "required": "y"}


def test_editor_page_and_fragment(client, login):
    login("admin")
    tpl = sf.builtin()
    page = client.get(_url(tpl))
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    frag = client.get(_url(tpl, f"?edit={tpl.current.questions[0].id}"), htmx=True)
    html = frag.get_data(as_text=True)
    assert frag.status_code == 200 and html.startswith('<div id="survey-editor">')
    assert "护士的服务态度" in html and "<html" not in html
    assert client.get("/surveys/templates/99999").status_code == 404


def test_add_edit_move_remove(client, login):
    login("quality")
    tpl = sf.builtin("DOCTOR-NURSING")
    n = len(tpl.current.questions)
    resp = client.post(_url(tpl, "/questions"), data={**QUESTION, "revision": tpl.revision},
                       htmx=True)
    assert resp.status_code == 200 and "护士是否主动巡视病房" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert len(tpl.current.questions) == n + 1 and tpl.current.number == 1
    new = tpl.current.questions[-1]
    assert (new.required, new.dimension, new.position) == (True, "响应及时", n + 1)
    resp = client.post(_url(tpl, f"/questions/{new.id}/up"), data={"revision": tpl.revision},
                       htmx=True)
    assert resp.status_code == 200
    db.session.expire_all()
    assert new.position == n
    resp = client.post(_url(tpl, f"/questions/{new.id}"), htmx=True, data={
        **QUESTION, "text_zh": "改名", "custom_dimension": "夜班", "revision": tpl.revision})
    db.session.expire_all()
    assert resp.status_code == 200 and (new.text_zh, new.dimension) == ("改名", "夜班")
    client.post(_url(tpl, f"/questions/{new.id}/remove"), data={"revision": tpl.revision},
                htmx=True)
    db.session.expire_all()
    assert len(tpl.current.questions) == n


def test_edit_after_answers_creates_a_version_through_the_editor(client, login):
    login("quality")
    ward = f.ward("W01")
    tpl = sf.builtin()
    sf.response(tpl, ward.id, **{"1": "5", "2": "4", "6": "5"})
    db.session.commit()
    first = tpl.current.questions[0]
    resp = client.post(_url(tpl, f"/questions/{first.id}"), htmx=True,
                       data={**QUESTION, "revision": tpl.revision})
    assert resp.status_code == 200 and "第 2 版" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert [v.number for v in tpl.versions] == [1, 2]
    assert tpl.versions[0].questions[0].text_zh == "护士的服务态度"
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 3


def test_stale_save_is_409_with_the_current_editor(client, login):
    login("quality")
    tpl = sf.builtin()
    stale = tpl.revision
    q = tpl.current.questions[1]
    assert client.post(_url(tpl, f"/questions/{q.id}/up"), data={"revision": stale},
                       htmx=True).status_code == 200
    resp = client.post(_url(tpl, f"/questions/{q.id}/down"), data={"revision": stale},
                       htmx=True)
    assert resp.status_code == 409
    assert 'id="survey-editor"' in resp.get_data(as_text=True)


def test_bad_question_is_422_beside_the_field(client, login):
    login("quality")
    tpl = sf.builtin()
    for data, field in (({**QUESTION, "text_zh": ""}, "text_zh"),
                        ({**QUESTION, "kind": "text", "is_overall": "y"}, "is_overall"),
                        ({**QUESTION, "is_recommend": "y"}, "is_recommend"),
                        ({**QUESTION, "kind": "single_choice", "options": "只有一个"}, "options"),
                        ({**QUESTION, "text_zh": "x" * 501}, "text_zh")):
        resp = client.post(_url(tpl, "/questions"), data={**data, "revision": tpl.revision},
                           htmx=True)
        assert resp.status_code == 422, field
        assert f'id="{field}-error"' in resp.get_data(as_text=True), field
    q = tpl.current.questions[0]
    assert client.post(_url(tpl, f"/questions/{q.id}/sideways"),
                       data={"revision": tpl.revision}).status_code == 404
    other = sf.builtin("NURSE-SELF").current.questions[0]
    assert client.post(_url(tpl, f"/questions/{other.id}/up"),
                       data={"revision": tpl.revision}).status_code == 404


def test_single_choice_options_and_new_template(client, login):
    login("admin")
    resp = client.post("/surveys/templates", data={"code": "ward-env", "title_zh": "病区环境调查",
                                                   "audience": "inpatient"})
    assert resp.status_code == 303
    tpl = db.session.scalar(select(SurveyTemplate).where(SurveyTemplate.code == "WARD-ENV"))
    assert tpl.current.number == 1
    dup = client.post("/surveys/templates", data={"code": "WARD-ENV", "title_zh": "x",
                                                  "audience": "inpatient"}, htmx=True)
    assert dup.status_code == 422
    client.post(_url(tpl, "/questions"), data={
        "kind": "single_choice", "text_zh": "总体感受", "is_overall": "y",
        "options": "很好 | Very good | 5\n好 | Good | 4\n差 | Poor | 2\n不知道 | Don't know",
        "revision": tpl.revision})
    db.session.expire_all()
    q = tpl.current.questions[0]
    assert [o["value"] for o in q.options] == [5, 4, 2, None] and q.is_overall
