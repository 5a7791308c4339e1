"""A low-score survey review becomes a complaint: prefill, access, the review's status and
the links between the review and the case."""
from sqlalchemy import select

from portal.complaints.models import Complaint
from portal.extensions import db
from portal.surveys.models import ReviewItem
from tests import factories as f
from tests.complaints import factories as cf
from tests.surveys import factories as sf

COMMENT = "等了很久没人来"


def _review(ward_code: str = "W01") -> ReviewItem:
    ward = f.ward(ward_code)
    sf.response(sf.builtin(), ward.id, **{"1": "2", "2": "2", "6": "1", "8": COMMENT})
    db.session.commit()
    return db.session.scalar(select(ReviewItem).where(ReviewItem.ward_id == ward.id))


def _file(client, item, **extra):
    data = {"kind": "complaint", "source": "survey", "description": COMMENT, "severity": "low",
            "ward_ids": [item.ward_id], "category_id": cf.category().id, "review": item.id}
    data.update(extra)
    return client.post("/complaints/new", data=data)


def test_prefill_page_and_fragment(client, login):
    item = _review()
    login("head_nurse", ward="W01")
    page = client.get(f"/complaints/new?review={item.id}")
    assert page.status_code == 200 and "<html" in page.text
    assert COMMENT in page.text and f'name="review" type="hidden" value="{item.id}"' in page.text
    assert '<option selected value="survey">' in page.text
    assert f'href="/surveys/reviews/{item.id}"' in page.text
    frag = client.get(f"/complaints/new?review={item.id}", htmx=True)
    assert frag.status_code == 200 and "<html" not in frag.text and 'id="new-case"' in frag.text
    assert COMMENT in frag.text


def test_other_ward_review_is_404(client, login):
    item = _review("W02")
    login("head_nurse", ward="W01")
    assert client.get(f"/complaints/new?review={item.id}").status_code == 404
    assert client.get("/complaints/new?review=999999").status_code == 404
    # access is checked again on POST (the hidden field can be forged)
    assert _file(client, item).status_code == 404
    assert db.session.scalar(select(Complaint)) is None


def test_nurse_may_not_file_from_a_review(client, login):
    item = _review()
    login("nurse", ward="W01")  # nurses do not see survey reviews at all
    assert client.get(f"/complaints/new?review={item.id}").status_code == 404
    assert _file(client, item).status_code == 404


def test_filing_marks_the_review_and_links_both_ways(client, login):
    item = _review()
    quality = login("quality")
    r = _file(client, item, kind="praise")  # a review always becomes a complaint
    assert r.status_code == 303
    case = db.session.scalar(select(Complaint))
    db.session.refresh(item)
    assert case.kind == "complaint" and case.survey_response_id == item.response_id
    assert (item.status, item.complaint_id, item.handled_by_id) == ("complaint", case.id,
                                                                    quality.id)
    review_page = client.get(f"/surveys/reviews/{item.id}")
    assert f'href="/complaints/{case.id}"' in review_page.text and case.reference in review_page.text
    assert f"/complaints/new?review={item.id}" not in review_page.text
    case_page = client.get(f"/complaints/{case.id}")
    assert f'href="/surveys/reviews/{item.id}"' in case_page.text
    # filing the same review twice is refused
    assert client.get(f"/complaints/new?review={item.id}").status_code == 409
    assert _file(client, item).status_code == 409
    assert len(db.session.scalars(select(Complaint)).all()) == 1


def test_htmx_filing_from_review(client, login):
    item = _review()
    login("head_nurse", ward="W01")
    data = {"kind": "complaint", "source": "survey", "description": COMMENT, "severity": "low",
            "ward_ids": [item.ward_id], "category_id": cf.category().id, "review": item.id}
    r = client.post("/complaints/new", data=data, htmx=True)
    assert r.status_code == 204 and "HX-Location" in r.headers
    db.session.refresh(item)
    assert item.status == "complaint" and item.complaint_id is not None


def test_invalid_form_keeps_the_review_open(client, login):
    item = _review()
    login("head_nurse", ward="W01")
    r = client.post("/complaints/new", htmx=True, data={
        "kind": "complaint", "source": "survey", "description": "x" * 10_001, "severity": "low",
        "ward_ids": [item.ward_id], "review": item.id})
    assert r.status_code == 422 and f'value="{item.id}"' in r.text
    db.session.refresh(item)
    assert item.status == "open" and item.complaint_id is None
