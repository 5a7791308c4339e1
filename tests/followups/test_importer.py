"""The import service: encodings, header mapping, every validation message, idempotence."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.followups import import_rows, importer
from portal.followups.import_rows import parse_age, parse_date
from portal.followups.importer import ImportFileError, import_file
from portal.followups.models import Discharge, FollowUpTask, ImportBatch, Patient
from portal.timeutil import local_today
from tests import factories
from tests.followups import factories as ff

SAMPLE = Path("/work/shared/samples/his-discharges-sample.csv")
if not SAMPLE.exists():  # a copy travels with the tests
    SAMPLE = Path(__file__).parent / "data" / "his-discharges-sample.csv"
WARDS = [f"W0{i}" for i in range(1, 9)]
HEADER = "住院号,姓名,性别,年龄,联系电话,病区代码,入院日期,出院日期,出院诊断,责任护士"


@pytest.fixture
def wards(app):
    result = factories.wards(*WARDS)
    db.session.commit()
    return result


def write(tmp_path, text: str, encoding="utf-8", name="d.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def csv_rows(*rows, header=HEADER) -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


def good(mrn="100001", name="王五", ward="W01", discharged=None, phone="13812345678",
         admitted=None) -> str:
    if discharged is None:
        discharged = (local_today() - timedelta(days=2)).isoformat()
    admitted = admitted or "2020-01-01"
    return f"{mrn},{name},男,65岁,{phone},{ward},{admitted},{discharged},肺炎,李娜"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_sample_export_imports_every_row(wards, tmp_path):
    user = factories.user("quality")
    ff.rule("W01", days_after=3)
    ff.rule("W01", label="D+30", days_after=30)
    result = import_file(str(SAMPLE), user=user, filename="sample.csv",
                         today=date(2026, 11, 22))
    assert (result.rows_total, result.rejected, result.added) == (40, 0, 40)
    assert result.warnings == 5 and result.imported
    assert {i.kind for i in result.issues} == {"warning"}
    p = db.session.scalar(select(Patient).where(Patient.mrn == "9681276"))
    assert p.name == "何丽娟" and p.age_years == 52 and p.sex == "F"
    assert db.session.scalar(select(Patient.phone).where(Patient.mrn == "8545705")) == "17693849373"
    assert db.session.scalar(select(Patient.phone).where(Patient.mrn == "8690543")) == "14892693719"
    two = db.session.execute(select(Patient.phone, Patient.phone2)
                             .where(Patient.mrn == "9766618")).one()
    assert tuple(two) == ("13966407353", "0371-70388636")
    assert db.session.scalar(select(Patient.phone).where(Patient.mrn == "3771647")) is None
    d = db.session.scalar(select(Discharge).join(Patient).where(Patient.mrn == "8690543"))
    assert d.discharged_on == date(2026, 11, 8) and d.admitted_on == date(2026, 11, 2)
    assert d.ward.code == "W05"
    # W01 has two rules and 4 discharges in the sample
    assert count(FollowUpTask) == 8
    batch = db.session.get(ImportBatch, result.batch_id)
    assert (batch.added, batch.duplicates, batch.rejected, batch.warnings) == (40, 0, 0, 5)
    assert batch.user_id == user.id and batch.filename == "sample.csv"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "discharges.imported"))
    assert entry.detail["added"] == 40 and entry.object_id == str(batch.id)
    assert "何丽娟" not in json.dumps(entry.detail, ensure_ascii=False)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings(wards, tmp_path, encoding):
    path = write(tmp_path, csv_rows(good(name="欧阳娜娜")), encoding)
    result = import_file(path, user=None)
    assert result.added == 1
    assert db.session.scalar(select(Patient.name)) == "欧阳娜娜"


def test_english_headers_and_tabs(wards, tmp_path):
    header = "MRN\tName\tSex\tDate of birth\tMobile\tWard code\tAdmitted\tDischarge date\tDiagnosis\tNurse"
    day = (local_today() - timedelta(days=1)).strftime("%Y/%m/%d")
    path = write(tmp_path, f"{header}\nA1\tAnn  Lee\tF\t1950-02-03\t139 1234 5678\tw02\t\t{day}\tx\ty\n")
    result = import_file(path, user=None)
    assert result.added == 1, result.issues
    p = db.session.scalar(select(Patient))
    assert (p.name, p.birth_date, p.phone) == ("Ann Lee", date(1950, 2, 3), "13912345678")


def test_ward_code_column_wins_over_ward_name(wards, tmp_path):
    header = "病案号,患者姓名,科室名称,病区代码,出院时间"
    day = (local_today() - timedelta(days=1)).isoformat()
    path = write(tmp_path, csv_rows(f"1,张三,骨科病区,W03,{day}", header=header))
    assert import_file(path, user=None).added == 1
    assert db.session.scalar(select(Discharge)).ward.code == "W03"


def test_ward_name_alone_is_matched(app, tmp_path):
    factories.ward("W04", name="骨科病区")
    header = "病案号,患者姓名,科室,出院时间"
    day = (local_today() - timedelta(days=1)).isoformat()
    path = write(tmp_path, csv_rows(f"1,张三,骨科病区,{day}", header=header))
    assert import_file(path, user=None).added == 1


@pytest.mark.parametrize("header, column", [
    ("姓名,病区代码,出院日期", "住院号"),
    ("住院号,病区代码,出院日期", "姓名"),
    ("住院号,姓名,病区代码", "出院日期"),
    ("住院号,姓名,出院日期", "病区代码"),
])
def test_missing_required_column_is_named(wards, tmp_path, header, column):
    path = write(tmp_path, csv_rows("1,2,3", header=header))
    with pytest.raises(ImportFileError) as e:
        import_file(path, user=None)
    assert e.value.params["column"] == column
    assert "Required column missing" in str(e.value)


@pytest.mark.parametrize("row, column, message", [
    (good(mrn=""), "住院号", import_rows.MSG_REQUIRED),
    (good(name=" "), "姓名", import_rows.MSG_REQUIRED),
    (good(mrn="9" * 40), "住院号", import_rows.MSG_TOO_LONG),
    (good(ward="W99"), "病区代码", import_rows.MSG_UNKNOWN_WARD),
    (good(ward=""), "病区代码", import_rows.MSG_REQUIRED),
    (good(discharged="2026-13-45"), "出院日期", import_rows.MSG_NOT_DATE),
    (good(discharged="soon"), "出院日期", import_rows.MSG_NOT_DATE),
    (good(discharged=""), "出院日期", import_rows.MSG_REQUIRED),
    (good(discharged=(local_today() + timedelta(days=1)).isoformat()), "出院日期",
     import_rows.MSG_FUTURE),
    (good(admitted=local_today().isoformat(),
          discharged=(local_today() - timedelta(days=3)).isoformat()), "出院日期",
     import_rows.MSG_BEFORE_ADMISSION),
    (good(phone="12345"), "联系电话", import_rows.MSG_PHONE),
    (good().replace(",男,", ",X,"), "性别", import_rows.MSG_SEX),
    (good().replace(",65岁,", ",很老,"), "年龄", import_rows.MSG_AGE),
    (good().replace(",65岁,", ",200,"), "年龄", import_rows.MSG_AGE),
])
def test_each_validation_message(wards, tmp_path, row, column, message):
    path = write(tmp_path, csv_rows(good(mrn="ok1"), row))
    result = import_file(path, user=None)
    assert not result.imported and result.rejected == 1
    errors = [i for i in result.issues if i.kind == "error"]
    assert [(e.row, e.column, e.message) for e in errors][:1] == [(3, column, message)]
    assert errors[0].english()
    assert count(Patient) == 0 and count(Discharge) == 0 and count(ImportBatch) == 0


def test_inactive_ward_refused(wards, tmp_path):
    wards[1].active = False
    db.session.commit()
    result = import_file(write(tmp_path, csv_rows(good(ward="W02"))), user=None)
    assert result.issues[0].message == import_rows.MSG_INACTIVE_WARD


def test_rows_of_other_wards_refused_for_a_head_nurse(wards, tmp_path):
    path = write(tmp_path, csv_rows(good(mrn="1", ward="W01"), good(mrn="2", ward="W02")))
    result = import_file(path, user=None, allowed_ward_ids={wards[0].id})
    assert result.rejected == 1 and result.issues[0].message == import_rows.MSG_NOT_YOUR_WARD
    assert result.issues[0].params == {"value": "W02"}


def test_valid_rows_only(wards, tmp_path):
    path = write(tmp_path, csv_rows(good(mrn="1"), good(mrn="2", ward="W99"), good(mrn="3")))
    result = import_file(path, user=None, valid_only=True)
    assert result.imported and (result.added, result.rejected) == (2, 1)
    assert sorted(db.session.scalars(select(Patient.mrn))) == ["1", "3"]
    assert db.session.get(ImportBatch, result.batch_id).rejected == 1


def test_reimport_is_idempotent_and_counts_duplicates(wards, tmp_path):
    ff.rule("W01")
    path = write(tmp_path, csv_rows(good(mrn="1"), good(mrn="2"), good(mrn="2")))
    first = import_file(path, user=None)
    assert (first.added, first.duplicates, first.tasks_created) == (2, 1, 2)
    again = import_file(path, user=None)
    assert (again.added, again.duplicates, again.tasks_created) == (0, 3, 0)
    assert count(Discharge) == 2 and count(FollowUpTask) == 2 and count(ImportBatch) == 2


def test_same_patient_other_discharge_is_added(wards, tmp_path):
    d1 = (local_today() - timedelta(days=40)).isoformat()
    d2 = (local_today() - timedelta(days=2)).isoformat()
    path = write(tmp_path, csv_rows(good(mrn="1", discharged=d1), good(mrn="1", discharged=d2)))
    result = import_file(path, user=None)
    assert result.added == 2 and count(Patient) == 1


def test_name_mismatch_reported_not_overwritten(wards, tmp_path):
    ff.patient(mrn="1", name="李四")
    db.session.commit()
    result = import_file(write(tmp_path, csv_rows(good(mrn="1", name="李斯"))), user=None)
    assert result.added == 1 and result.name_mismatches == 1
    issue = [i for i in result.issues if i.kind == "name"][0]
    assert (issue.row, issue.column) == (2, "姓名")
    assert db.session.scalar(select(Patient.name)) == "李四"


def test_missing_phone_is_a_warning_and_a_later_number_fills_it(wards, tmp_path):
    result = import_file(write(tmp_path, csv_rows(good(mrn="1", phone=""))), user=None)
    assert result.added == 1 and result.warnings == 1
    assert result.issues[0].message == import_rows.MSG_NO_PHONE
    later = good(mrn="1", phone="13900001111", discharged=(local_today() - timedelta(days=9)).isoformat())
    import_file(write(tmp_path, csv_rows(later), name="e.csv"), user=None)
    assert db.session.scalar(select(Patient.phone)) == "13900001111"


def test_issues_file_holds_every_problem(wards, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "MAX_KEPT", 2)
    rows = [good(mrn=str(i), ward="W99") for i in range(5)]
    issues = tmp_path / "issues.jsonl"
    result = import_file(write(tmp_path, csv_rows(*rows)), user=None, issues_path=str(issues))
    assert len(result.issues) == 2 and result.issues_total == 5
    assert len(issues.read_text().splitlines()) == 5


def test_chunks_and_progress(wards, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 3)
    monkeypatch.setattr(importer, "PROGRESS_EVERY", 2)
    ff.rule("W01")
    rows = [good(mrn=str(i)) for i in range(10)] + [good(mrn="3", name="王五")]
    seen = []
    result = import_file(write(tmp_path, csv_rows(*rows)), user=None,
                         progress=lambda phase, f: seen.append((phase, f)))
    assert (result.added, result.duplicates, result.tasks_created) == (10, 1, 10)
    assert seen[-1] == ("write", 1.0) and ("validate", 1.0) in seen
    assert all(0 <= f <= 1 for _p, f in seen)


def test_result_round_trips_through_json(wards, tmp_path):
    result = import_file(write(tmp_path, csv_rows(good(ward="W99"))), user=None)
    again = importer.ImportResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result


@pytest.mark.parametrize("content, needle", [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
    (b"abc\x00def\x00" * 10, "binary"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
    (b"\x81\x30\x81", "UTF-8 or GBK"),
])
def test_unreadable_files(wards, tmp_path, content, needle):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=needle):
        import_file(str(path), user=None)


def test_header_only_file(wards, tmp_path):
    with pytest.raises(ImportFileError, match="no data rows"):
        import_file(write(tmp_path, HEADER + "\n\n,,,\n"), user=None)


def test_fake_xlsx(wards, tmp_path):
    import zipfile

    path = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    with pytest.raises(ImportFileError, match="not an Excel workbook"):
        import_file(str(path), user=None)


def test_xlsx_with_real_dates_and_numbers(wards, tmp_path):
    from datetime import datetime

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["说明：出院患者名单"])
    ws.append(HEADER.split(","))
    day = local_today() - timedelta(days=2)
    ws.append([123456, " 赵 六 ", "女", 70, 13812345678, "W01", datetime(2020, 1, 1, 8, 0),
               datetime.combine(day, datetime.min.time()), "肺炎", "李娜"])
    ws.append([None] * 10)
    path = tmp_path / "list.xlsx"
    wb.save(path)
    result = import_file(str(path), user=None)
    assert result.added == 1, [i.english() for i in result.issues]
    p = db.session.scalar(select(Patient))
    assert (p.mrn, p.name, p.phone, p.age_years) == ("123456", "赵 六", "13812345678", 70)
    assert db.session.scalar(select(Discharge.discharged_on)) == day


@pytest.mark.parametrize("raw, expected", [
    ("2026-11-03 10:22:00", date(2026, 11, 3)),
    ("2026/11/3", date(2026, 11, 3)),
    ("2026年11月3日", date(2026, 11, 3)),
    ("2026年11月3日 10:00", date(2026, 11, 3)),
    ("2026.11.03", date(2026, 11, 3)),
    ("20261103", date(2026, 11, 3)),
    ("46329", date(2026, 11, 3)),
    (46329, date(2026, 11, 3)),
    ("２０２６－１１－０３", date(2026, 11, 3)),
])
def test_dates(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw, expected", [("65岁", 65), ("65", 65), ("65 岁", 65), (65.0, 65),
                                           ("3个月", 0), ("", None), ("65Y", 65)])
def test_ages(raw, expected):
    assert parse_age(raw) == expected


def test_commit_between_chunks_when_asked(wards, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 3)
    calls = []

    def commit():
        calls.append(count(Discharge))
        db.session.commit()

    rows = [good(mrn=str(i)) for i in range(7)]
    result = import_file(write(tmp_path, csv_rows(*rows)), user=None, commit=commit)
    db.session.commit()
    # once after reading the wards (nothing written), then after each full chunk
    assert calls == [0, 3, 6] and result.added == 7 and count(Discharge) == 7


def test_no_commit_when_rows_are_bad(wards, tmp_path):
    calls = []
    path = write(tmp_path, csv_rows(good(mrn="1"), good(mrn="2", ward="W99")))
    import_file(path, user=None, commit=lambda: calls.append(count(Patient)))
    assert calls == [0] and count(Patient) == 0
