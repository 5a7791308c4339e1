"""Reading discharge lists exported from the HIS: CSV in any of its encodings, or XLSX.

`open_table(path)` detects the kind of file from its bytes (not its name), the CSV
encoding (UTF-8, UTF-8 with BOM, else GB18030, the superset of GBK) and yields the
rows one at a time, so memory does not grow with the file. Headers in Chinese or
English are mapped to our field names by `map_headers()`.
"""
from __future__ import annotations

import codecs
import csv
import os
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from portal.followups.phones import mark as _l

BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf",
                b"MZ", b"\x7fELF")
OLE2 = b"\xd0\xcf\x11\xe0"  # old .xls / .doc


class ImportFileError(Exception):
    """The file as a whole cannot be read: `message` is an untranslated message id."""

    def __init__(self, message: str, **params):
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


# Field -> accepted headers (compared after NFKC, lower case, without spaces, _ and -).
ALIASES: dict[str, tuple[str, ...]] = {
    "mrn": ("住院号", "病案号", "病历号", "住院病案号", "住院号码", "mrn", "medicalrecordnumber",
            "hospitalnumber"),
    "name": ("姓名", "患者姓名", "病人姓名", "患者", "name", "patientname", "patient"),
    "sex": ("性别", "sex", "gender"),
    "birth_date": ("出生日期", "出生年月日", "birthdate", "dateofbirth", "dob"),
    "age": ("年龄", "age"),
    "phone": ("联系电话", "手机", "手机号码", "手机号", "电话", "电话号码", "联系方式", "phone",
              "mobile", "telephone", "phonenumber"),
    "ward_code": ("病区代码", "病区编码", "病区编号", "科室代码", "科室编码", "wardcode"),
    "ward_name": ("科室", "病区", "科室名称", "病区名称", "出院科室", "出院病区", "ward",
                  "department", "dept"),
    "admitted_on": ("入院日期", "入院时间", "admissiondate", "admitted", "admittedon"),
    "discharged_on": ("出院日期", "出院时间", "dischargedate", "discharged", "dischargedon"),
    "diagnosis": ("出院诊断", "诊断", "主要诊断", "diagnosis", "dischargediagnosis"),
    "nurse": ("责任护士", "主管护士", "nurse", "attendingnurse", "primarynurse"),
}
REQUIRED = ("mrn", "name", "discharged_on")
_LOOKUP = {alias: name for name, aliases in ALIASES.items() for alias in aliases}


def header_key(text) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    return "".join(ch for ch in text if ch not in " _-\t*")


@dataclass
class ColumnMap:
    """Where each field is in a row, and the header text the user sees for it."""

    index: dict[str, int] = field(default_factory=dict)
    header: dict[str, str] = field(default_factory=dict)

    @property
    def ward_field(self) -> str:
        # When an export has both the ward's name and its code, the code is what we match.
        return "ward_code" if "ward_code" in self.index else "ward_name"


def map_headers(headers: list) -> ColumnMap:
    """Map the header row; a missing required column is an ImportFileError naming it."""
    cols = ColumnMap()
    for i, text in enumerate(headers):
        name = _LOOKUP.get(header_key(text))
        if name and name not in cols.index:
            cols.index[name] = i
            cols.header[name] = str(text).strip()
    missing = [f for f in REQUIRED if f not in cols.index]
    if "ward_code" not in cols.index and "ward_name" not in cols.index:
        missing.append("ward_code")
    if missing:
        first = missing[0]
        raise ImportFileError(_l("Required column missing: %(column)s (accepted headers: %(aliases)s)"),
                              column=ALIASES[first][0], aliases=", ".join(ALIASES[first]))
    return cols


def sniff(path: str) -> str:
    """'xlsx' or 'csv'; anything else is an ImportFileError."""
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if not head.strip():
        raise ImportFileError(_l("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(OLE2):
        raise ImportFileError(_l("This is an old Excel (.xls) file; save it as .xlsx or CSV first."))
    if head.startswith(BINARY_MAGIC) or b"\x00" in head:
        raise ImportFileError(_l("This is not a CSV or Excel file (it holds binary data)."))
    return "csv"


def csv_encoding(path: str) -> str:
    """utf-8-sig for a BOM, utf-8 when the whole file decodes as UTF-8, else gb18030."""
    with open(path, "rb") as fh:
        if fh.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("gb18030")()
        try:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ImportFileError(_l("The file's text encoding is not UTF-8 or GBK.")) from None
    return "gb18030"


@dataclass
class Table:
    """An open file: its column map, its rows and how far the reading has got (0..1)."""

    columns: ColumnMap
    rows: Iterator[tuple[int, list]]   # (line number as the user sees it, values)
    position: callable                 # -> fraction of the file read


@contextmanager
def open_table(path: str):
    kind = sniff(path)
    if kind == "xlsx":
        with _open_xlsx(path) as table:
            yield table
    else:
        with _open_csv(path) as table:
            yield table


@contextmanager
def _open_csv(path: str):
    encoding = csv_encoding(path)
    size = max(os.path.getsize(path), 1)
    with open(path, encoding=encoding, newline="", errors="strict") as fh:
        first = fh.readline()
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
        fh.seek(0)
        reader = csv.reader(fh, delimiter=delimiter)
        columns = _find_header((reader.line_num, r) for r in reader)

        def rows():
            for values in reader:
                if any(v.strip() for v in values):
                    yield reader.line_num, values

        yield Table(columns, rows(), lambda: min(fh.buffer.tell() / size, 1.0))


HEADER_SEARCH = 10  # exports often start with a title line or two above the headers


def _find_header(numbered) -> ColumnMap:
    """The first of the leading non-empty rows that maps; else the first row's error."""
    first_error = None
    seen = 0
    for _number, values in numbered:
        if not any(str(v).strip() for v in values if v is not None):
            continue
        try:
            return map_headers(list(values))
        except ImportFileError as e:
            first_error = first_error or e
        seen += 1
        if seen >= HEADER_SEARCH:
            break
    raise first_error or ImportFileError(_l("The file has no header row."))


@contextmanager
def _open_xlsx(path: str):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    fh = open(path, "rb")  # noqa: SIM115 - a file object: openpyxl would judge a path by its suffix
    try:
        workbook = load_workbook(fh, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, InvalidFileException, OSError, ValueError):
        fh.close()
        raise ImportFileError(_l("This .xlsx file is not an Excel workbook (a zip of something else?)."
                                 )) from None
    try:
        sheet = workbook.worksheets[0]
        total = max(sheet.max_row or 1, 1)
        numbered = enumerate(sheet.iter_rows(values_only=True), start=1)
        columns = _find_header(numbered)
        state = {"line": 1}

        def rows():
            for number, values in numbered:
                state["line"] = number
                if any(v is not None and str(v).strip() for v in values):
                    yield number, list(values)

        yield Table(columns, rows(), lambda: min(state["line"] / total, 1.0))
    finally:
        workbook.close()
        fh.close()
