"""List exports: CSV with BOM and XLSX, masked, formula-safe, audited; leaders get none."""
from __future__ import annotations

import csv
from io import BytesIO, StringIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from tests.dashboard.factories import NAME_PREFIX, PHONE_PREFIX, dataset

URL = "/dashboard/drill?metric=reach_rate&part=denominator&period=2026-07"


@pytest.fixture
def data(app):
    built = dataset()
    db.session.commit()
    return built


def test_csv_export_of_a_drill_down(data, client, login):
    login("quality")
    html = client.get(URL).get_data(as_text=True)
    total = int(html.split('data-count="')[1].split('"')[0])
    resp = client.get(URL + "&export=csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    assert resp.data.startswith("\ufeff".encode())
    rows = list(csv.reader(StringIO(resp.data.decode("utf-8-sig"))))
    assert len(rows) == total + 1
    assert all(PHONE_PREFIX not in cell for row in rows for cell in row)
    assert any(NAME_PREFIX in row[1] for row in rows[1:])
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.drill"))
    assert entry.detail["rows"] == total and entry.detail["format"] == "csv"


def test_xlsx_export_keeps_numbers(data, client, login):
    login("quality")
    resp = client.get(URL + "&export=xlsx")
    wb = load_workbook(BytesIO(resp.data))
    rows = list(wb.active.iter_rows(min_row=2, values_only=True))
    assert rows and all(isinstance(r[6], int) for r in rows)


def test_formula_names_are_neutralised(data, client, login):
    from portal.followups.models import Patient

    patient = db.session.scalars(select(Patient)).first()
    patient.name = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    login("quality")
    text = client.get("/dashboard/drill?metric=discharges&part=numerator&period=2026-05"
                      "&export=csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def test_unknown_format_is_404(data, client, login):
    login("quality")
    assert client.get(URL + "&export=pdf").status_code == 404


def test_leaders_get_counts_not_files(data, client, login):
    login("leader")
    resp = client.get(URL + "&export=csv")
    assert resp.mimetype == "text/html" and NAME_PREFIX not in resp.get_data(as_text=True)


def test_audit_log_export(app, client, login):
    from portal.audit import services as audit

    audit.record("test.entry", object_type="x", object_id="=1+2", note="@cmd")
    db.session.commit()
    login("quality")
    page = client.get("/audit?action=test.entry").get_data(as_text=True)
    assert "export=csv" in page
    resp = client.get("/audit?action=test.entry&export=csv")
    rows = list(csv.reader(StringIO(resp.data.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][3] == "test.entry" and rows[1][5] == "'=1+2"
    resp = client.get("/audit?action=test.entry&export=xlsx")
    ws = load_workbook(BytesIO(resp.data)).active
    assert ws.cell(2, 4).value == "test.entry"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.audit"))
    assert entry.detail["filters"] == ["action"]
    login("admin")


def test_audit_export_refused_to_leaders(app, client, login):
    login("leader")
    assert client.get("/audit?export=csv").status_code == 403
