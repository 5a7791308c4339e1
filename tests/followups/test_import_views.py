"""The import page: upload, progress, results, bad rows CSV, valid rows only; roles and wards."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import func, select

from portal.extensions import db
from portal.followups import import_jobs
from portal.followups.models import Discharge, ImportBatch
from portal.timeutil import local_today
from tests import factories
from tests.followups.test_importer import SAMPLE, csv_rows, good


@pytest.fixture
def app_config():
    return {"IMPORT_IN_BACKGROUND": False}


@pytest.fixture
def wards(app):
    result = factories.wards(*[f"W0{i}" for i in range(1, 9)])
    db.session.commit()
    return result


def upload(client, content: bytes, name="list.csv", htmx=False):
    return client.post("/imports", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data", htmx=htmx)


def token_of(resp) -> str:
    location = resp.headers.get("Location") or resp.headers["HX-Location"]
    return location.split("/imports/")[1].split('"')[0]


def discharges() -> int:
    return db.session.scalar(select(func.count(Discharge.id)))


def test_page_and_form_fragment(client, login, wards):
    login("quality")
    page = client.get("/imports")
    assert page.status_code == 200 and 'id="import-form"' in page.text
    assert 'enctype="multipart/form-data"' in page.text and "<html" in page.text
    bad = client.post("/imports", data={}, htmx=True)
    assert bad.status_code == 422 and "<html" not in bad.text
    assert 'id="import-form"' in bad.text and 'aria-invalid="true"' in bad.text


def test_upload_sample_imports_every_row(client, login, wards):
    login("quality")
    resp = upload(client, SAMPLE.read_bytes(), "his.csv")
    assert resp.status_code == 303
    token = token_of(resp)
    assert "his" not in resp.headers["Location"]
    page = client.get(f"/imports/{token}")
    assert page.status_code == 200 and "his.csv" in page.text
    assert discharges() == 40
    batch = db.session.scalar(select(ImportBatch))
    assert (batch.added, batch.warnings) == (40, 5)
    # the upload is gone once imported; the warnings list stays for the page
    assert not (import_jobs.root() / token / "upload").exists()
    assert page.text.count('class="badge warn"') == 5


def test_htmx_upload_moves_to_the_result(client, login, wards):
    login("quality")
    resp = upload(client, SAMPLE.read_bytes(), htmx=True)
    assert resp.status_code == 204 and "/imports/" in resp.headers["HX-Location"]
    token = token_of(resp)
    frag = client.get(f"/imports/{token}", htmx=True)
    assert frag.status_code == 200 and frag.text.lstrip().startswith('<div id="import-status">')


def bad_file() -> bytes:
    day = (local_today() - timedelta(days=1)).isoformat()
    return csv_rows(good(mrn="1", discharged=day), good(mrn="2", ward="W99"),
                    good(mrn="3", phone="123")).encode("gbk")


def test_bad_rows_listed_nothing_written_then_valid_only(client, login, wards):
    login("quality")
    token = token_of(upload(client, bad_file()))
    page = client.get(f"/imports/{token}")
    assert "W99" in page.text and "病区代码" in page.text
    assert discharges() == 0 and "valid-only" in page.text
    csv_text = client.get(f"/imports/{token}/issues.csv").data.decode("utf-8-sig")
    assert csv_text.splitlines()[0].split(",")[0] in ("Row", "行号")
    assert "3,病区代码" in csv_text and "4,联系电话" in csv_text
    resp = client.post(f"/imports/{token}/valid-only")
    assert resp.status_code == 303
    assert discharges() == 1
    assert db.session.scalar(select(ImportBatch.rejected)) == 2
    again = client.post(f"/imports/{token}/valid-only")
    assert again.status_code == 409


def test_bad_rows_paginated(client, login, wards, monkeypatch):
    from portal.followups import import_views

    monkeypatch.setattr(import_views, "PER_PAGE", 1)
    login("quality")
    token = token_of(upload(client, bad_file()))
    first = client.get(f"/imports/{token}")
    assert 'rel="next"' in first.text
    second = client.get(f"/imports/{token}?page=2", htmx=True)
    assert "联系电话" in second.text and "W99" not in second.text


def test_head_nurse_rows_of_other_wards_refused(client, login, wards):
    login("head_nurse", ward="W01")
    token = token_of(upload(client, SAMPLE.read_bytes()))
    page = client.get(f"/imports/{token}")
    assert discharges() == 0
    assert page.text.count('class="badge bad"') == 36  # 4 of the 40 rows are W01's
    client.post(f"/imports/{token}/valid-only")
    assert discharges() == 4


@pytest.mark.parametrize("role", ["nurse", "leader", "admin"])
def test_other_roles_refused(client, login, wards, role):
    login(role)
    assert client.get("/imports").status_code == 403
    assert upload(client, SAMPLE.read_bytes()).status_code == 403


def test_job_of_someone_else_is_404(client, login, wards):
    login("quality")
    token = token_of(upload(client, bad_file()))
    login("quality")
    g.pop("_login_user", None)  # requests share the test's app context, and so its `g`
    for url in (f"/imports/{token}", f"/imports/{token}/issues.csv",
                f"/imports/{token}/progress"):
        assert client.get(url).status_code == 404
    assert client.post(f"/imports/{token}/valid-only").status_code == 404
    assert client.get("/imports/..%2F..%2Fetc").status_code == 404


def test_progress_endpoint_reflects_the_state(client, login, wards):
    user = login("quality")

    class Upload:
        filename = "big.csv"

        def save(self, path):
            path.write_bytes(b"x")

    job = import_jobs.create(Upload(), user)
    job.write(status="running", phase="write", fraction=0.5)
    frag = client.get(f"/imports/{job.token}/progress", htmx=True)
    assert frag.status_code == 200
    assert 'value="75"' in frag.text and 'hx-trigger="every 1s"' in frag.text
    page = client.get(f"/imports/{job.token}")   # without JS: a page that says reload
    assert 'value="75"' in page.text and "<html" in page.text
    job.write(status="done", result={"rows_total": 0, "rejected": 0, "issues_total": 0})
    done = client.get(f"/imports/{job.token}/progress", htmx=True)
    assert done.headers["HX-Redirect"] == f"/imports/{job.token}"
    assert client.get(f"/imports/{job.token}/progress").status_code == 303


def test_background_import_reports_progress(app, client, login, wards, monkeypatch):
    from portal.followups import importer

    app.config["IMPORT_IN_BACKGROUND"] = True
    monkeypatch.setattr(importer, "PROGRESS_EVERY", 5)
    login("quality")
    token = token_of(upload(client, SAMPLE.read_bytes()))
    import_jobs.wait(token)
    state = import_jobs.Job(token).read()
    assert state["status"] == "done" and state["fraction"] == 1.0
    assert state["result"]["added"] == 40
    db.session.expire_all()
    assert discharges() == 40


@pytest.mark.parametrize("content, name, needle", [
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "photo.csv", "binary"),
    (b"PK\x03\x04not really a zip", "list.xlsx", "not an Excel workbook"),
])
def test_unreadable_file_shows_a_clear_message(client, login, wards, content, name, needle):
    login("quality", language="en")
    token = token_of(upload(client, content, name))
    page = client.get(f"/imports/{token}")
    assert needle in page.text and "Nothing was written" in page.text


def test_wrong_extension_refused_on_the_form(client, login, wards):
    login("quality", language="en")
    resp = upload(client, b"x", "list.pdf")
    assert resp.status_code == 422 and "Only CSV and XLSX" in resp.text


def test_real_xlsx_upload(client, login, wards):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["病案号", "患者姓名", "病区代码", "出院时间"])
    wb.active.append(["X1", "张三", "W02", (local_today() - timedelta(days=1)).isoformat()])
    buf = io.BytesIO()
    wb.save(buf)
    login("quality")
    upload(client, buf.getvalue(), "list.xlsx")
    assert discharges() == 1


def test_file_over_20_mb_gets_413(client, login, wards):
    login("quality", language="en")
    resp = upload(client, b"a" * (20 * 1024 * 1024 + 10), "big.csv")
    assert resp.status_code == 413 and "文件过大" in resp.text
    frag = upload(client, b"a" * (20 * 1024 * 1024 + 10), "big.csv", htmx=True)
    assert frag.status_code == 413 and "toast" in frag.headers["HX-Trigger"]


def test_csrf_required(client, login, wards):
    login("quality")
    resp = client.post("/imports", data={"file": (io.BytesIO(b"x"), "a.csv")},
                       content_type="multipart/form-data", csrf=False)
    assert resp.status_code == 400


def test_old_jobs_are_purged(client, login, wards):
    import os
    import time

    login("quality")
    token = token_of(upload(client, bad_file()))
    path = import_jobs.root() / token
    old = time.time() - 25 * 3600
    os.utime(path, (old, old))
    assert import_jobs.purge_old() == 1 and not path.exists()


def test_a_job_whose_process_died_is_reported(client, login, wards):
    import os
    import time

    user = login("quality", language="en")

    class Upload:
        filename = "big.csv"

        def save(self, path):
            path.write_bytes(b"x")

    job = import_jobs.create(Upload(), user)
    job.write(status="running", phase="write", fraction=0.3)
    old = time.time() - import_jobs.STALE_SECONDS - 5
    os.utime(job.dir / "state.json", (old, old))
    page = client.get(f"/imports/{job.token}")
    assert "stopped unexpectedly" in page.text and "every 1s" not in page.text
