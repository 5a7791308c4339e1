"""Versioning, invitations, phone mode, low-score reviews."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from portal.db import utcnow
from portal.extensions import db
from portal.surveys import editor, invitations, phone
from portal.surveys.answers import TamperedForm, parse_answers
from portal.surveys.models import Answer, Invitation, Response, ReviewItem
from tests import factories as f
from tests.surveys import factories as sf


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context():  # messages are translated per request
        yield


def test_edit_after_answers_makes_a_new_version_and_keeps_old_answers(app):
    ward = f.ward("W01")
    tpl = sf.builtin("PHONE-DISCHARGE")
    v1 = tpl.current
    old = sf.response(tpl, ward.id, **{"1": "5", "2": "4", "6": "2"})
    db.session.commit()
    first = v1.questions[0]
    editor.update_question(tpl, tpl.revision, first.id,
                           {"text_zh": "改过的问题", "kind": "scale5"})
    db.session.commit()
    assert tpl.current.number == 2
    assert tpl.current.questions[0].text_zh == "改过的问题"
    db.session.refresh(first)
    assert first.text_zh == "护士的服务态度" and first.version_id == v1.id
    assert {a.question.version_id for a in old.answers} == {v1.id}
    # a second edit goes to version 2 itself (it has no answers yet)
    editor.move_question(tpl, tpl.revision, tpl.current.questions[0].id, 1)
    db.session.commit()
    assert tpl.current.number == 2


def test_edit_without_answers_stays_on_the_version(app):
    tpl = editor.create_template("T-NEW", "新模板", "", "inpatient")
    editor.add_question(tpl, tpl.revision, {"kind": "scale5", "text_zh": "问题一"})
    editor.add_question(tpl, tpl.revision, {"kind": "text", "text_zh": "意见"})
    editor.move_question(tpl, tpl.revision, tpl.current.questions[1].id, -1)
    db.session.commit()
    assert [q.text_zh for q in tpl.current.questions] == ["意见", "问题一"]
    editor.remove_question(tpl, tpl.revision, tpl.current.questions[0].id)
    db.session.commit()
    assert tpl.current.number == 1 and [q.position for q in tpl.current.questions] == [1]


def test_stale_revision_is_refused(app):
    tpl = sf.builtin()
    stale = tpl.revision
    editor.move_question(tpl, stale, tpl.current.questions[1].id, -1)
    db.session.commit()
    with pytest.raises(editor.StaleEdit):
        editor.move_question(tpl, stale, tpl.current.questions[1].id, -1)


def test_only_one_overall_item(app):
    tpl = sf.builtin()
    q = tpl.current.questions[0]
    editor.update_question(tpl, tpl.revision, q.id, {"is_overall": True})
    db.session.commit()
    assert [x.position for x in tpl.current.questions if x.is_overall] == [1]


def test_tampered_question_of_another_template_is_refused(app):
    other = sf.builtin("NURSE-SELF").current.questions[0]
    with pytest.raises(TamperedForm):
        parse_answers(sf.builtin().current, MultiDict({f"q{other.id}": "5"}))


def test_low_overall_score_raises_a_review(app):
    ward = f.ward("W01")
    tpl = sf.builtin()
    sf.response(tpl, ward.id, **{"1": "5", "2": "5", "6": "2"})
    sf.response(tpl, ward.id, **{"1": "5", "2": "5", "6": "3"})
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ReviewItem)) == 1


def test_token_is_stored_hashed_and_expires(app):
    token, inv = sf.invitation()
    assert len(token) >= 22 and token not in inv.token_hash
    assert invitations.open_invitation(token).id == inv.id
    inv.expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    assert invitations.open_invitation(token) is None
    assert invitations.open_invitation("unknown-token") is None


def test_phone_answers_saved_with_the_attempt(app):
    from tests.surveys.followup_factories import call_attempt

    attempt, rule = call_attempt(template=sf.builtin())
    qs = phone.phone_questions(rule)
    assert len(qs) == 8
    form = MultiDict({f"q{qs[0].id}": "4", f"q{qs[1].id}": "5", f"q{qs[5].id}": "1"})
    assert phone.save_phone_answers(attempt, form) == {}
    db.session.commit()
    resp = db.session.scalar(select(Response).where(Response.call_attempt_id == attempt.id))
    assert resp.channel == "phone" and not resp.anonymous and len(resp.answers) == 3
    assert db.session.scalar(select(func.count()).select_from(ReviewItem)) == 1


def test_phone_blank_form_records_nothing_and_bad_answers_are_reported(app):
    from tests.surveys.followup_factories import call_attempt

    attempt, rule = call_attempt(template=sf.builtin())
    qs = phone.phone_questions(rule)
    assert phone.save_phone_answers(attempt, MultiDict()) == {}
    errors = phone.save_phone_answers(attempt, MultiDict({f"q{qs[0].id}": "9"}))
    assert set(errors) == {qs[0].id, qs[1].id, qs[5].id}  # out of range + two required
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


def test_token_single_use_under_two_concurrent_submissions(app):
    ward = f.ward("W01")
    tpl = sf.builtin("INPATIENT-SELF")
    token, _inv = sf.invitation(tpl, ward.id)
    db.session.commit()
    q1 = tpl.current.questions[0]
    barrier = threading.Barrier(2)
    statuses = []

    def submit():
        client = app.test_client()
        data = {f"q{q1.id}": "good", "csrf_token": client.csrf_token()}
        barrier.wait()
        statuses.append(client.post(f"/s/{token}", data=data).status_code)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.remove()
    assert sorted(statuses) == [200, 404]
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    assert db.session.scalar(select(Invitation.used_at)) is not None


def test_review_to_complaint_hooks(app):
    from portal.surveys import services

    ward = f.ward("W01")
    quality = f.user("quality")
    tpl = sf.builtin()
    sf.response(tpl, ward.id, **{"1": "2", "2": "2", "6": "1", "8": "等了很久没人来"})
    db.session.commit()
    item = db.session.scalar(select(ReviewItem))
    prefill = services.review_prefill(item.id, quality)
    assert prefill["ward_ids"] == [ward.id] and "等了很久没人来" in prefill["description"]
    from tests.complaints import factories as cf

    case = cf.case(user=quality)  # complaint_id is a foreign key to complaints (0007)
    services.review_became_complaint(item.id, case.id, quality)
    assert (item.status, item.complaint_id, item.handled_by_id) == ("complaint", case.id,
                                                                    quality.id)
    other_nurse = f.user("head_nurse", wards="W02")
    from werkzeug.exceptions import NotFound

    with pytest.raises(NotFound):
        services.review_prefill(item.id, other_nurse)
