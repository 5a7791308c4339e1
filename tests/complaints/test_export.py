"""The register as CSV/XLSX: the page's filter and visibility, phones masked, formula-looking
text neutralised, HTML kept as plain text, audited."""
from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from tests.complaints import factories as cf


def test_csv_export_follows_filter_and_visibility(client, login):
    nurse = login("nurse", ward="W01")
    mine = cf.case(nurse, wards=("W01",), description='=HYPERLINK("http://x")<script>1</script>',
                   complainant_phone="13812345678")
    other = cf.case(wards=("W02",))
    db.session.commit()
    page = client.get("/complaints?view=all").text
    assert "export=csv" in page
    r = client.get("/complaints?view=all&export=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    text = r.data.decode("utf-8-sig")
    assert mine.reference in text and other.reference not in text
    assert "13812345678" not in text and "138****5678" in text
    assert "'=HYPERLINK" in text and "<script>1</script>" in text   # text, not markup
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.complaints"))
    assert entry.detail["rows"] == 1 and entry.user_id == nurse.id


def test_xlsx_export_and_bad_format(client, login):
    q = login("quality")
    c = cf.case(q, wards=("W01",))
    db.session.commit()
    r = client.get("/complaints?view=queue&export=xlsx")
    assert r.status_code == 200
    sheet = load_workbook(BytesIO(r.data)).active
    assert sheet.cell(2, 1).value == c.reference
    assert client.get("/complaints?export=pdf").status_code == 404
