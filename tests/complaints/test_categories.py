"""Admin page for complaint categories: list, add, rename, deactivate, delete an unused one;
422 beside the field, 409 on a stale form or deleting a category in use, audit entries."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.complaints.models import ComplaintCategory
from portal.extensions import db
from tests.complaints import factories as cf

URL = "/admin/complaint-categories"


@pytest.fixture
def admin(login):
    return login("admin")


def by_code(code):
    db.session.expire_all()
    return db.session.scalar(select(ComplaintCategory).where(ComplaintCategory.code == code))


def edit_data(c, **changes):
    data = {"name_zh": c.name_zh, "name_en": c.name_en, "sort": str(c.sort),
            "version": str(c.version), **({"active": "y"} if c.active else {})}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_list_page_and_fragment(client, admin):
    page = client.get(URL)
    assert page.status_code == 200 and "<html" in page.text
    assert "服务态度" in page.text and "Cost" in page.text
    frag = client.get(URL, htmx=True)
    assert frag.status_code == 200 and "<html" not in frag.text and 'id="categories"' in frag.text


@pytest.mark.parametrize("role", ["nurse", "head_nurse", "quality", "leader"])
def test_other_roles_refused(client, login, role):
    login(role, ward="W01")
    c = cf.category("attitude")
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/{c.id}").status_code == 403
    assert client.post(URL, data={"code": "x", "name_zh": "新", "name_en": "New"}).status_code == 403
    assert by_code("x") is None


@pytest.mark.parametrize("htmx", [False, True])
def test_add(client, admin, htmx):
    r = client.post(URL, htmx=htmx, data={"code": "Parking", "name_zh": "停车",
                                          "name_en": "Parking", "sort": "95"})
    assert r.status_code == (204 if htmx else 303)
    c = by_code("parking")
    assert c.name_zh == "停车" and c.active and c.sort == 95
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "complaint_category.created"))
    assert entry.object_id == str(c.id) and entry.user_id == admin.id


@pytest.mark.parametrize("data,field,message", [   # the page is in Chinese by default
    ({"name_zh": "服务态度"}, "name_zh", "已有同名类别"),
    ({"name_en": "COSTS"}, "name_en", "已有同名类别"),
    ({"code": "attitude"}, "code", "已有类别使用此编码"),
    ({"code": "bad code"}, "code", "小写字母"),
    ({"name_zh": ""}, "name_zh", ""),
    ({"name_en": "x" * 65}, "name_en", "64"),
    ({"sort": "abc"}, "sort", ""),
])
def test_add_refused_422(client, admin, data, field, message):
    assert cf.category("cost").name_en == "Costs"
    r = client.post(URL, htmx=True, data={"code": "newcat", "name_zh": "新类别",
                                          "name_en": "New category", "sort": "5", **data})
    assert r.status_code == 422
    assert f'id="{field}-error"' in r.text and message in r.text
    assert by_code("newcat") is None


def test_rename_and_deactivate(client, admin):
    c = cf.category("cost")
    assert client.get(f"{URL}/{c.id}").status_code == 200
    assert 'id="category-form"' in client.get(f"{URL}/{c.id}", htmx=True).text
    r = client.post(f"{URL}/{c.id}", data=edit_data(c, name_zh="费用问题", active=None))
    assert r.status_code == 303
    c = by_code("cost")
    assert c.name_zh == "费用问题" and not c.active
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "complaint_category.updated"))
    assert entry.detail["active"] == [True, False]
    # no longer offered for new cases; still shown on old ones
    assert c.id not in {x.id for x in __import__("portal.complaints.services", fromlist=["x"])
                        .categories()}


def test_rename_to_a_duplicate_name_422(client, admin):
    c = cf.category("cost")
    r = client.post(f"{URL}/{c.id}", htmx=True, data=edit_data(c, name_zh="服务态度"))
    assert r.status_code == 422 and 'id="name_zh-error"' in r.text
    assert by_code("cost").name_zh != "服务态度"


def test_stale_edit_409(client, admin):
    c = cf.category("cost")
    loaded = edit_data(c)
    assert client.post(f"{URL}/{c.id}", data=edit_data(c, name_en="Fees")).status_code == 303
    r = client.post(f"{URL}/{c.id}", htmx=True, data={**loaded, "name_en": "Charges"})
    assert r.status_code == 409 and 'id="category-form"' in r.text
    assert by_code("cost").name_en == "Fees"


def test_delete_unused_but_never_one_in_use(client, admin):
    client.post(URL, data={"code": "unused", "name_zh": "未用", "name_en": "Unused"})
    unused = by_code("unused")
    cf.case(cat="attitude")
    db.session.commit()
    used = by_code("attitude")
    page = client.get(URL).text
    assert f"{URL}/{unused.id}/delete" in page and f"{URL}/{used.id}/delete" not in page
    r = client.post(f"{URL}/{used.id}/delete", data={"version": used.version}, htmx=True)
    assert r.status_code == 409 and by_code("attitude") is not None
    stale = client.post(f"{URL}/{unused.id}/delete", data={"version": "99"})
    assert stale.status_code == 409 and by_code("unused") is not None
    r = client.post(f"{URL}/{unused.id}/delete", data={"version": unused.version})
    assert r.status_code == 303 and by_code("unused") is None
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "complaint_category.deleted"))


def test_unknown_category_404(client, admin):
    assert client.get(f"{URL}/9999").status_code == 404
    assert client.post(f"{URL}/9999/delete", data={"version": "1"}).status_code == 404


def test_html_in_names_is_escaped(client, admin):
    client.post(URL, data={"code": "xss", "name_zh": "<b>粗</b>", "name_en": "<script>x</script>"})
    text = client.get(URL).text
    assert "<script>x</script>" not in text and "&lt;script&gt;" in text


def test_case_with_a_deactivated_category_stays_editable(client, login):
    q = login("quality")
    case = cf.case(q, cat="cost")
    category = cf.category("cost")
    category.active = False
    db.session.commit()
    page = client.get(f"/complaints/{case.id}/edit").text
    assert f'<option selected value="{category.id}">' in page
    new = client.get("/complaints/new").text
    assert f'value="{category.id}"' not in new.split('name="category_id"')[1].split("</select>")[0]
    r = client.post(f"/complaints/{case.id}/edit", data={
        "version": case.version, "description": "改了描述", "source": "telephone",
        "severity": "high", "category_id": category.id, "ward_ids": [w.id for w in case.wards]})
    assert r.status_code == 303
