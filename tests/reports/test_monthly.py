"""The monthly report: page and XLSX per role, figures in the workbook, Chinese names."""
from __future__ import annotations

from io import BytesIO
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.auth.models import ROLES
from portal.extensions import db
from tests.dashboard import expected as E
from tests.dashboard.factories import NAME_PREFIX, PHONE_PREFIX, dataset
from tests.reports.access import EXPECTED

URLS = {"reports.monthly": "/reports/monthly?period=2026-07",
        "reports.monthly_xlsx": "/reports/monthly.xlsx?period=2026-07"}


@pytest.fixture
def data(app):
    built = dataset()
    db.session.commit()
    return built


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_roles(data, client, login, endpoint, role):
    login(role)
    for htmx in (False, True):
        resp = client.get(URLS[endpoint], htmx=htmx)
        assert resp.status_code == (200 if role in EXPECTED[endpoint] else 403)
    if role in EXPECTED[endpoint] and endpoint == "reports.monthly":
        frag = client.get(URLS[endpoint], htmx=True).get_data(as_text=True)
        assert frag.lstrip().startswith('<div id="report">')


def test_page_is_printable_with_header(data, client, login):
    login("leader")
    text = client.get(URLS["reports.monthly"]).get_data(as_text=True)
    assert "Generated at" in text and "2026-07-01" in text and "page-break" in text
    assert NAME_PREFIX not in text and PHONE_PREFIX not in text
    assert "style=" not in text


def test_xlsx_holds_the_figures(data, client, login):
    login("leader")
    resp = client.get(URLS["reports.monthly_xlsx"])
    assert resp.status_code == 200
    disposition = resp.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "护理质量月报-2026-07.xlsx"
    wb = load_workbook(BytesIO(resp.data))
    assert wb.sheetnames[:2] == ["汇总指标", "病区指标"]
    raw = E.load()
    from datetime import date
    want = E.counts(raw, date(2026, 7, 1), date(2026, 7, 31))[None]
    rows = {r[0]: r for r in wb["汇总指标"].iter_rows(min_row=4, values_only=True)}
    reach = rows["Reach rate"]
    assert isinstance(reach[1], float)
    assert abs(reach[1] - E.value("reach_rate", want) / 100) < 1e-9
    assert reach[2] == want["tasks_reached"] and reach[3] == want["tasks_attempted"]
    assert rows["Discharges"][1] == want["discharges"]
    per_ward = E.counts(raw, date(2026, 7, 1), date(2026, 7, 31), bucket="ward")
    codes = {v: k for k, v in raw["wards"].items()}
    ward_rows = list(wb["病区指标"].iter_rows(min_row=2, values_only=True))
    assert sorted(r[0] for r in ward_rows) == sorted(codes[w] for w in per_ward)
    for r in ward_rows:
        c = per_ward[raw["wards"][r[0]]]
        assert abs(r[2] - E.value("followup_rate", c) / 100) < 1e-9
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.monthly_report"))
    assert entry is not None and entry.object_id == "2026-07"


def test_head_nurse_gets_own_ward_only(data, client, login):
    login("head_nurse", ward="W02")
    assert client.get("/reports/monthly?period=2026-07&ward=W01").status_code == 404
    wb = load_workbook(BytesIO(client.get("/reports/monthly.xlsx?period=2026-07").data))
    assert [r[0] for r in wb["病区指标"].iter_rows(min_row=2, values_only=True)] == ["W02"]


def test_not_a_month_is_refused_with_a_message(data, client, login):
    login("quality")
    text = client.get("/reports/monthly?period=2026-Q3").get_data(as_text=True)
    assert "one calendar month" in text


def test_formula_text_is_neutralised():
    from portal.reports.xlsx import _safe

    assert _safe(["=SUM(A1)", "+1", 5, 0.5, None]) == ["'=SUM(A1)", "'+1", 5, 0.5, None]


def test_leader_workbook_has_no_patient_data(data, client, login):
    login("leader")
    wb = load_workbook(BytesIO(client.get(URLS["reports.monthly_xlsx"]).data))
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                assert NAME_PREFIX not in str(value) and PHONE_PREFIX not in str(value)
