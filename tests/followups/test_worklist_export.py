"""The worklist export: the current tab and ward filter as CSV or XLSX, masked and audited."""
from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from tests.followups.factories_worklist import task_w

URL = "/followups/"


def _tasks():
    mine = task_w(due_in=0, diagnosis="=HYPERLINK(\"http://x\")")
    mine.discharge.patient.phone = "13812345678"
    mine.discharge.patient.name = "张三"
    other_tab = task_w(due_in=4, diagnosis="LATERDX")
    other_ward = task_w(ward="W02", due_in=0, diagnosis="OTHERWARDDX")
    db.session.commit()
    return mine, other_tab, other_ward


def test_csv_is_the_tab_masked_and_formula_safe(client, login):
    login("nurse", ward="W01")
    _tasks()
    resp = client.get(f"{URL}?tab=today&export=csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    body = resp.get_data().decode("utf-8-sig")
    assert "张三" in body and "138****5678" in body and "13812345678" not in body
    assert "'=HYPERLINK" in body
    assert "LATERDX" not in body and "OTHERWARDDX" not in body
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.worklist"))
    assert entry is not None and entry.detail["rows"] == 1 and entry.detail["format"] == "csv"


def test_xlsx_opens_and_holds_the_rows(client, login):
    login("head_nurse", ward="W01")
    _tasks()
    resp = client.get(f"{URL}?tab=upcoming&export=xlsx")
    assert resp.status_code == 200
    ws = load_workbook(BytesIO(resp.get_data())).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 2 and "LATERDX" in rows[1]


def test_quality_exports_every_ward_and_the_page_links_it(client, login):
    login("quality")
    _tasks()
    html = client.get(URL).get_data(as_text=True)
    assert "export=csv" in html and "export=xlsx" in html
    body = client.get(f"{URL}?export=csv").get_data().decode("utf-8-sig")
    assert "OTHERWARDDX" in body


def test_unknown_format_and_other_roles(client, login):
    login("nurse")
    assert client.get(f"{URL}?export=pdf").status_code == 404
    login("leader")
    assert client.get(f"{URL}?export=csv").status_code == 403


def test_worklist_links_the_discharge_slip(client, login):
    login("nurse")
    html = client.get(URL).get_data(as_text=True)
    assert 'href="/surveys/slip"' in html
    # the fragment (tab and filter swaps) does not repeat the page's header links
    assert 'href="/surveys/slip"' not in client.get(URL, htmx=True).get_data(as_text=True)
