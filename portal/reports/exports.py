"""List exports: the current filter of any list page as CSV (UTF-8 with BOM, for Excel) or
XLSX, within the user's permissions (the caller passes its own access-checked select()),
phones masked, formula-looking text neutralised, numbers kept as numbers, audited.

Use from a list view:

    from portal.reports.exports import Column, export_response, wants_export
    if fmt := wants_export():                       # ?export=csv | ?export=xlsx
        return export_response("worklist", COLUMNS, query, fmt, _("Follow-up calls"),
                               filters=request.args)

where COLUMNS = [Column(_l("Patient"), lambda t: t.discharge.patient.name),
                 Column(_l("Phone"), lambda t: t.discharge.patient.phone, kind="phone"), ...]
and `query` is the same select() the page paginates (with selectinload for what columns read).
"""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO, StringIO

from flask import abort, request
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from portal.audit import services as audit
from portal.extensions import db
from portal.privacy import mask_phone, neutralise_formula
from portal.reports.downloads import XLSX, attachment
from portal.timeutil import local_now, to_local

MAX_ROWS = 100_000  # larger exports are refused: narrow the filter
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Column:
    title: object
    get: Callable
    kind: str = "text"      # text | phone | number | date | datetime


def wants_export() -> str | None:
    fmt = request.args.get("export", "")
    if not fmt:
        return None
    if fmt not in FORMATS:
        abort(404)
    return fmt


def cell(column: Column, obj):
    value = column.get(obj)
    if value is None:
        return None
    if column.kind == "phone":
        return mask_phone(value)
    if column.kind == "datetime" and isinstance(value, datetime):
        return to_local(value).strftime("%Y-%m-%d %H:%M")
    if column.kind == "date" and isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return value
    return neutralise_formula(str(value))


def rows_of(columns: list[Column], query, params=None) -> Iterable[list]:
    """Rows of the query, streamed from the database (no list of every object in memory):
    its entities for a select() of one entity, else its rows (columns read by name)."""
    count = 0
    result = db.session.execute(query.execution_options(yield_per=1000), params)
    for obj in result.scalars() if _is_entity(query) else result:
        count += 1
        if count > MAX_ROWS:
            abort(413, _("More than %(n)d rows: narrow the filter.", n=MAX_ROWS))
        yield [cell(c, obj) for c in columns]


def _is_entity(query) -> bool:
    described = query.column_descriptions
    return len(described) == 1 and described[0].get("entity") is not None \
        and described[0].get("expr") is described[0].get("entity")


def to_csv(columns: list[Column], rows: Iterable[list]) -> bytes:
    out = StringIO()
    out.write("\ufeff")  # BOM: Excel opens UTF-8 Chinese text correctly
    writer = csv.writer(out)
    writer.writerow([str(c.title) for c in columns])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def to_xlsx(columns: list[Column], rows: Iterable[list], sheet: str) -> bytes:
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = sheet[:31]
    ws.append([str(c.title) for c in columns])
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def export_response(list_name: str, columns: list[Column], query, fmt: str, title,
                    filters=None, params=None):
    """The file for `query` (already limited to what the user may see); audited as
    `export.<list_name>` with the filter names (not their values: they may be personal)."""
    rows = list(rows_of(columns, query, params))
    body = to_csv(columns, rows) if fmt == "csv" else to_xlsx(columns, rows, str(title))
    audit.record(f"export.{list_name}", object_type="list", object_id=list_name, format=fmt,
                 rows=len(rows), filters=sorted(k for k in (filters or {}) if k != "export"))
    db.session.commit()
    stamp = local_now().strftime("%Y%m%d-%H%M")
    mimetype = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    return attachment(body, f"{title}-{stamp}.{fmt}", mimetype)
