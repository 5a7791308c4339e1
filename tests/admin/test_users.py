"""Admin user pages: list and filters, create, edit, reset password; page and htmx; 409."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.auth.passwords import verify_password
from portal.extensions import db
from tests import factories

NEW_PASSWORD = "a-fresh-long-passphrase"


def audit_actions(obj_id=None):
    query = select(AuditEntry.action).order_by(AuditEntry.id)
    if obj_id is not None:
        query = query.where(AuditEntry.object_type == "users",
                            AuditEntry.object_id == str(obj_id))
    return list(db.session.scalars(query))


def edit_data(user, **changes):
    data = {"display_name": user.display_name, "role": user.role,
            "wards": [str(w.id) for w in user.wards], "version": str(user.version)}
    if user.active:
        data["active"] = "y"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def admin(login):
    return login("admin")


def test_list_page_and_fragment(client, admin):
    factories.user("nurse", wards="W01", username="zhang")
    factories.user("quality", username="liu")
    db.session.commit()
    page = client.get("/admin/users")
    assert page.status_code == 200 and b"<html" in page.data
    assert b"zhang" in page.data and b"liu" in page.data
    frag = client.get("/admin/users?q=zha", htmx=True)
    assert frag.status_code == 200 and b"<html" not in frag.data
    assert b'id="user-list"' in frag.data
    assert b"zhang" in frag.data and b"liu" not in frag.data


def test_list_filters(client, admin):
    w2 = factories.ward("W02")
    factories.user("nurse", wards="W01", username="n1")
    factories.user("head_nurse", wards="W02", username="h2")
    factories.user("nurse", wards="W02", username="off", active=False)
    db.session.commit()

    def names(query):
        body = client.get("/admin/users?" + query, htmx=True).get_data(as_text=True)
        return {n for n in ("n1", "h2", "off") if f">{n}</a>" in body}

    assert names("role=nurse") == {"n1", "off"}
    assert names(f"ward={w2.id}") == {"h2", "off"}
    assert names("active=0") == {"off"}
    assert names("active=1&role=nurse") == {"n1"}
    assert names("q=H2") == {"h2"}
    assert client.get("/admin/users?role=king").status_code == 422


def test_list_paginates(app, client, admin):
    app.config["PAGE_SIZE"] = 2
    for i in range(4):
        factories.user("leader", username=f"lead{i}")
    db.session.commit()
    first = client.get("/admin/users").get_data(as_text=True)
    assert "rel=\"next\"" in first
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    assert "rel=\"prev\"" in second


@pytest.mark.parametrize("htmx", [False, True])
def test_create_user(client, admin, htmx):
    w1 = factories.ward("W01")
    db.session.commit()
    resp = client.post("/admin/users/new", htmx=htmx, data={
        "username": "newnurse", "display_name": "李护士", "role": "nurse",
        "wards": [str(w1.id)], "password": NEW_PASSWORD})
    if htmx:
        assert resp.status_code == 204 and "/admin/users" in resp.headers["HX-Location"]
    else:
        assert resp.status_code == 303 and resp.headers["Location"].endswith("/admin/users")
    user = db.session.scalar(select(User).where(User.username == "newnurse"))
    assert user.role == "nurse" and [w.code for w in user.wards] == ["W01"]
    assert user.password_hash.startswith("scrypt:131072:8:1$")
    assert verify_password(user.password_hash, NEW_PASSWORD)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.created"))
    assert entry.user_id == admin.id and entry.object_id == str(user.id)
    assert NEW_PASSWORD not in str(entry.detail) and "李护士" not in str(entry.detail)


@pytest.mark.parametrize("data,field,message", [
    ({"password": "short-pass"}, "password", "at least 12"),
    ({"password": "q1w2e3r4t5y6"}, "password", "too common"),
    ({"username": "Taken"}, "username", "taken"),
    ({"wards": []}, "wards", "at least one ward"),
    ({"role": "superuser"}, "role", "Not a valid choice"),
])
def test_create_user_refused_beside_field(client, admin, data, field, message):
    w1 = factories.ward("W01")
    factories.user("nurse", wards="W01", username="taken")
    db.session.commit()
    form = {"username": "someone", "display_name": "X", "role": "nurse",
            "wards": [str(w1.id)], "password": NEW_PASSWORD, **data}
    resp = client.post("/admin/users/new", data=form, htmx=True)
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert f'id="{field}-error"' in body and message in body
    assert "<html" not in body
    assert db.session.scalar(select(User).where(User.username == "someone")) is None


def test_edit_user_role_wards_name(client, admin):
    w1, w2 = factories.wards("W01", "W02")
    nurse = factories.user("nurse", wards="W01", username="nn")
    db.session.commit()
    page = client.get(f"/admin/users/{nurse.id}")
    assert page.status_code == 200 and f'value="{nurse.version}"'.encode() in page.data
    resp = client.post(f"/admin/users/{nurse.id}", data=edit_data(
        nurse, role="head_nurse", wards=[str(w1.id), str(w2.id)], display_name="新名字"))
    assert resp.status_code == 303
    db.session.refresh(nurse)
    assert nurse.role == "head_nurse" and nurse.display_name == "新名字"
    assert [w.code for w in nurse.wards] == ["W01", "W02"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.updated"))
    assert entry.detail["role"] == ["nurse", "head_nurse"]
    assert entry.detail["wards"] == [["W01"], ["W01", "W02"]]
    assert "新名字" not in str(entry.detail)


def test_stale_edit_is_refused_with_409_and_nothing_overwritten(client, admin):
    factories.ward("W01")
    nurse = factories.user("nurse", wards="W01", username="nn", display_name="Original")
    db.session.commit()
    loaded = edit_data(nurse)  # what the first admin's form holds
    # a second admin saves first
    client.post(f"/admin/users/{nurse.id}", data=edit_data(nurse, display_name="Second"))
    resp = client.post(f"/admin/users/{nurse.id}", htmx=True,
                       data={**loaded, "display_name": "First"})
    assert resp.status_code == 409
    assert b"Someone else changed this record" in resp.data and b'id="user-form"' in resp.data
    db.session.expire_all()
    assert db.session.get(User, nurse.id).display_name == "Second"
    page = client.post(f"/admin/users/{nurse.id}", data={**loaded, "display_name": "First"})
    assert page.status_code == 409 and b"<html" in page.data


def test_edit_without_version_is_refused(client, admin):
    nurse = factories.user("nurse", wards="W01")
    db.session.commit()
    data = edit_data(nurse, display_name="Changed")
    del data["version"]
    assert client.post(f"/admin/users/{nurse.id}", data=data).status_code == 409


def test_unknown_user_is_404(client, admin):
    assert client.get("/admin/users/999").status_code == 404
    assert client.get("/admin/users/999/password").status_code == 404


def test_last_admin_cannot_be_demoted_or_disabled(client, admin):
    resp = client.post(f"/admin/users/{admin.id}", data=edit_data(admin, role="leader"))
    assert resp.status_code == 422 and b"At least one active administrator" in resp.data
    resp = client.post(f"/admin/users/{admin.id}", data=edit_data(admin, active=None))
    assert resp.status_code == 422 and b"cannot disable your own account" in resp.data
    db.session.expire_all()
    assert admin.role == "admin" and admin.active


def test_admin_may_demote_another_admin_while_one_remains(client, admin):
    other = factories.user("admin", username="admin2")
    db.session.commit()
    resp = client.post(f"/admin/users/{other.id}", data=edit_data(other, role="leader"))
    assert resp.status_code == 303
    # now `admin` is the last one: disabling them (by anyone) is refused in the service
    from portal.auth import services

    with pytest.raises(services.AccountError):
        services.update_user(admin, role="admin", wards=[], display_name="x", active=False)


@pytest.mark.parametrize("htmx", [False, True])
def test_reset_password(client, admin, htmx):
    nurse = factories.user("nurse", wards="W01", locked_until=None)
    nurse.failed_logins = 3
    db.session.commit()
    assert client.get(f"/admin/users/{nurse.id}/password").status_code == 200
    resp = client.post(f"/admin/users/{nurse.id}/password", htmx=htmx,
                       data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert resp.status_code == (204 if htmx else 303)
    db.session.refresh(nurse)
    assert verify_password(nurse.password_hash, NEW_PASSWORD) and nurse.failed_logins == 0
    assert "user.password_reset" in audit_actions(nurse.id)


def test_reset_password_refused(client, admin):
    nurse = factories.user("nurse", wards="W01", username="samename1234")
    db.session.commit()
    for password, confirm, message in ((NEW_PASSWORD, "other-long-password", b"differ"),
                                       ("password1234", "password1234", b"too common"),
                                       ("samename1234", "samename1234", b"differ from the username")):
        resp = client.post(f"/admin/users/{nurse.id}/password", htmx=True,
                           data={"password": password, "confirm": confirm})
        assert resp.status_code == 422 and message in resp.data, password


def test_admin_resetting_own_password_stays_signed_in(client, admin):
    resp = client.post(f"/admin/users/{admin.id}/password",
                       data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert resp.status_code == 303
    assert client.get("/admin/users").status_code == 200
