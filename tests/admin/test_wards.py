"""Admin ward pages and ward services: list, create, edit, 409 on a stale form, audit."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.wards import services
from portal.wards.models import Ward
from tests import factories


@pytest.fixture
def admin(login):
    return login("admin")


def ward_data(ward, **changes):
    data = {"code": ward.code, "name": ward.name, "name_en": ward.name_en,
            "version": str(ward.version), **({"active": "y"} if ward.active else {})}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_list_page_and_fragment(client, admin):
    factories.wards("W01", "W02")
    db.session.commit()
    page = client.get("/admin/wards")
    assert page.status_code == 200 and b"<html" in page.data and b"W02" in page.data
    frag = client.get("/admin/wards", htmx=True)
    assert b"<html" not in frag.data and b'id="ward-list"' in frag.data


@pytest.mark.parametrize("htmx", [False, True])
def test_create_ward(client, admin, htmx):
    assert client.get("/admin/wards/new").status_code == 200
    resp = client.post("/admin/wards/new", htmx=htmx,
                       data={"code": "W09", "name": "眼科病区", "name_en": "Ophthalmology"})
    assert resp.status_code == (204 if htmx else 303)
    ward = db.session.scalar(select(Ward).where(Ward.code == "W09"))
    assert ward.name == "眼科病区" and ward.active
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "ward.created"))
    assert entry.object_id == str(ward.id) and entry.user_id == admin.id


@pytest.mark.parametrize("data,field,message", [
    ({"code": "w01"}, "code", "already has this code"),
    ({"code": "W 1"}, "code", "letters, digits"),
    ({"name": ""}, "name", "required"),
    ({"code": "X" * 17}, "code", "16"),
])
def test_create_ward_refused(client, admin, data, field, message):
    factories.ward("W01")
    db.session.commit()
    resp = client.post("/admin/wards/new", htmx=True,
                       data={"code": "W09", "name": "新病区", "name_en": "", **data})
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert f'id="{field}-error"' in body and message in body
    assert db.session.scalar(select(Ward).where(Ward.code == "W09")) is None


def test_edit_ward(client, admin):
    ward = factories.ward("W01")
    db.session.commit()
    page = client.get(f"/admin/wards/{ward.id}")
    assert page.status_code == 200 and b'value="W01"' in page.data
    resp = client.post(f"/admin/wards/{ward.id}",
                       data=ward_data(ward, name="心内科二病区", active=None))
    assert resp.status_code == 303
    db.session.refresh(ward)
    assert ward.name == "心内科二病区" and not ward.active
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "ward.updated"))
    assert entry.detail["active"] == [True, False]


def test_stale_ward_edit_409(client, admin):
    ward = factories.ward("W01")
    db.session.commit()
    loaded = ward_data(ward)
    assert client.post(f"/admin/wards/{ward.id}", data=ward_data(ward, name="B")).status_code == 303
    resp = client.post(f"/admin/wards/{ward.id}", data={**loaded, "name": "A"}, htmx=True)
    assert resp.status_code == 409 and b'id="ward-form"' in resp.data
    db.session.expire_all()
    assert db.session.get(Ward, ward.id).name == "B"


def test_concurrent_update_caught_by_version_column(app, client, admin):
    """Two requests pass the form check with the same version; the second UPDATE loses (409)."""
    from sqlalchemy import update

    from portal.auth.permissions import allow

    ward = factories.ward("W01")
    db.session.commit()

    @app.route("/race", methods=["POST"])
    @allow("admin")
    def race():
        w = db.session.get(Ward, ward.id)
        # another writer changes the row between our read and our write (simulated in the
        # same transaction: on SQLite a second connection could not write meanwhile)
        db.session.execute(update(Ward).where(Ward.id == w.id)
                           .values(name="other", version=Ward.version + 1)
                           .execution_options(synchronize_session=False))
        services.update_ward(w, code=w.code, name="mine", name_en="", active=True,
                             version=w.version)
        db.session.commit()
        return "saved"

    resp = client.post("/race", htmx=True)
    assert resp.status_code == 409
    db.session.expire_all()
    assert db.session.get(Ward, ward.id).name != "mine"  # the request was rolled back


def test_unknown_ward_404(client, admin):
    assert client.get("/admin/wards/999").status_code == 404


def test_inactive_ward_not_offered_to_new_users(client, admin):
    factories.ward("W01")
    factories.ward("W07").active = False
    db.session.commit()
    body = client.get("/admin/users/new").get_data(as_text=True)
    assert "W01" in body and "W07" not in body
