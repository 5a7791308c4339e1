"""The monthly nursing-quality report (护理质量月报): one context for the page and the XLSX.

The report reuses the dashboard's figures (same SQL, same definitions), for one month,
for the hospital (or the user's wards) and each ward; the complaint and survey features add
their lists of the month when they are built (`report_lists(filters)` in their dashboard source).
"""
from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import select

from portal.dashboard import metrics as M
from portal.dashboard import services
from portal.dashboard.periods import PeriodError, default_period, parse_period
from portal.extensions import db
from portal.timeutil import local_now
from portal.wards.models import Ward


def read_filters(args, user) -> services.Filters:
    """The month (default: last complete month) and an optional ward within the user's wards."""
    filters = services.read_filters({k: v for k, v in args.items() if k in ("ward", "channel")},
                                    user)
    try:
        period = parse_period(args.get("period")) if args.get("period") else default_period()
        if period.kind != "month":
            raise PeriodError(_("A monthly report covers one calendar month."))
    except PeriodError as e:
        filters.error = str(e)
        period = default_period()
    filters.period = period
    return filters


def context(filters: services.Filters, user) -> dict:
    metrics = M.registered()
    by_ward = services.ward_counts(filters, metrics)
    figures = services.figures(filters, metrics, by_ward=by_ward)
    per_ward = services.ward_figures(filters, metrics)
    wards = {w.id: w for w in db.session.scalars(
        select(Ward).where(Ward.id.in_(list(per_ward) or [-1])).order_by(Ward.code))}
    sections = [(wards[w], per_ward[w]) for w in sorted(per_ward, key=lambda i: wards[i].code)
                if w in wards]
    lists = {}
    for name in ("complaints", "surveys"):
        module = M.source_module(name)
        if module is not None and hasattr(module, "report_lists"):
            lists.update(module.report_lists(filters, user))
    return {"filters": filters, "metrics": metrics, "figures": figures, "sections": sections,
            "lists": lists, "generated_at": local_now(),
            "title": _("Monthly nursing quality report")}


def require_month_scope(user, filters: services.Filters) -> None:
    """Head nurses get their own wards only (read_filters already 404s other wards)."""
    if not user.sees_all_wards and not user.ward_ids:
        abort(404)
