"""flask import-discharges."""
from datetime import timedelta

from sqlalchemy import func, select

from portal.extensions import db
from portal.followups.models import Discharge
from portal.timeutil import local_today
from tests import factories
from tests.followups.test_importer import SAMPLE, csv_rows, good


def test_cli_imports_the_sample(runner):
    factories.wards(*[f"W0{i}" for i in range(1, 9)])
    db.session.commit()
    result = runner.invoke(args=["import-discharges", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "added=40" in result.output and "warnings=5" in result.output
    assert db.session.scalar(select(func.count(Discharge.id))) == 40
    again = runner.invoke(args=["import-discharges", str(SAMPLE)])
    assert "added=0 duplicates=40" in again.output


def test_cli_refuses_bad_rows_then_valid_only(runner, tmp_path):
    factories.wards("W01")
    factories.user("quality", username="q1")
    db.session.commit()
    path = tmp_path / "d.csv"
    day = (local_today() - timedelta(days=1)).isoformat()
    path.write_text(csv_rows(good(mrn="1", discharged=day), good(mrn="2", ward="W99")))
    result = runner.invoke(args=["import-discharges", str(path)])
    assert result.exit_code == 1
    assert "row 3 [病区代码] bad row: unknown ward code: W99" in result.output
    assert "Nothing was imported" in result.output
    ok = runner.invoke(args=["import-discharges", str(path), "--valid-only", "--user", "q1"])
    assert ok.exit_code == 0 and "added=1" in ok.output and "rejected=1" in ok.output


def test_cli_unreadable_file(runner, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\x00\x01binary")
    result = runner.invoke(args=["import-discharges", str(path)])
    assert result.exit_code == 1 and "binary" in result.output
