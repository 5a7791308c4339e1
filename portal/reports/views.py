"""Monthly nursing-quality report (page and XLSX)."""
from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user

from portal.audit import services as audit
from portal.auth.permissions import allow
from portal.extensions import db
from portal.htmx import render
from portal.reports import monthly, xlsx
from portal.reports.downloads import XLSX, attachment

bp = Blueprint("reports", __name__)

REPORT_ROLES = ("leader", "quality", "head_nurse")


@bp.route("/reports/monthly", endpoint="monthly")
@allow(*REPORT_ROLES)
def monthly_report():
    filters = monthly.read_filters(request.args, current_user)
    monthly.require_month_scope(current_user, filters)
    from portal.dashboard.periods import period_choices
    from portal.dashboard.services import visible_wards

    months = [(k, label) for k, label in period_choices() if len(k) == 7]
    return render("reports/monthly.html", "reports/_monthly.html", months=months,
                  wards=visible_wards(current_user), **monthly.context(filters, current_user))


@bp.route("/reports/monthly.xlsx")
@allow(*REPORT_ROLES)
def monthly_xlsx():
    filters = monthly.read_filters(request.args, current_user)
    monthly.require_month_scope(current_user, filters)
    body = xlsx.workbook(monthly.context(filters, current_user))
    scope = filters.ward.code if filters.ward else "hospital"
    audit.record("export.monthly_report", object_type="report", object_id=filters.period.key,
                 ward=scope, format="xlsx")
    db.session.commit()
    name = f"护理质量月报-{filters.period.key}" + (f"-{filters.ward.code}" if filters.ward else "")
    return attachment(body, name + ".xlsx", XLSX)
