"""The monthly report as an XLSX workbook (openpyxl): Chinese sheet names, numbers as numbers,
percentages as numbers with a percent format, text neutralised against formula injection."""
from __future__ import annotations

from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from portal.privacy import neutralise_formula

SHEETS = {"summary": "汇总指标", "wards": "病区指标", "complaints": "投诉与表扬",
          "actions": "整改措施", "comments": "调查意见"}


def cell_value(metric, value):
    """A figure as a spreadsheet number: rates as fractions (shown as %), others as is."""
    if value is None:
        return None
    return value / 100.0 if metric.unit == "pct" else value


def number_format(metric) -> str:
    return {"pct": "0.0%", "nps": "+0;-0;0", "per1000": "0.00"}.get(metric.unit, "0")


def _header(ws, titles):
    ws.append([str(t) for t in titles])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)


def _safe(row):
    return [neutralise_formula(v) for v in row]


def workbook(ctx: dict) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEETS["summary"]
    f = ctx["filters"]
    ws.append(_safe([str(ctx["title"]), f.period.key, str(f.ward or _("All wards"))]))
    ws.append([_("Generated at"), ctx["generated_at"].strftime("%Y-%m-%d %H:%M")])
    _header(ws, [_("Figure"), _("Value"), _("Numerator"), _("Denominator"), _("Previous period"),
                 _("Small sample"), _("Definition")])
    for fig in ctx["figures"]:
        m = fig.metric
        ws.append(_safe([str(m.label), cell_value(m, fig.value), fig.numerator,
                         fig.denominator if m.denominator else None,
                         cell_value(m, fig.previous), _("yes") if fig.small else "",
                         str(m.definition)]))
        ws.cell(ws.max_row, 2).number_format = ws.cell(ws.max_row, 5).number_format = \
            number_format(m)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["G"].width = 80

    wt = wb.create_sheet(SHEETS["wards"])
    metrics = ctx["metrics"]
    _header(wt, [_("Ward code"), _("Ward")] + [str(m.label) for m in metrics])
    for ward, figures in ctx["sections"]:
        wt.append(_safe([ward.code, ward.name] + [cell_value(x.metric, x.value) for x in figures]))
        for i, x in enumerate(figures, start=3):
            wt.cell(wt.max_row, i).number_format = number_format(x.metric)

    for key, block in ctx["lists"].items():
        sheet = wb.create_sheet(SHEETS.get(key, key)[:31])
        _header(sheet, block["headers"])
        for row in block["rows"]:
            sheet.append(_safe(row))
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
