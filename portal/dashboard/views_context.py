"""What the dashboard templates receive: figures, trends, ranking and filter choices.

Kept apart from views.py so the monthly report builds the same context.
"""
from __future__ import annotations

from collections import defaultdict

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.dashboard import metrics as M
from portal.dashboard import services

try:
    from portal.dashboard import survey_dimensions
except ImportError:  # the surveys feature is not built on this branch
    survey_dimensions = None
from portal.dashboard.periods import month_period, parse_period, period_choices
from portal.extensions import db
from portal.wards.models import Ward


def filter_choices(filters: services.Filters) -> dict:
    from flask_login import current_user

    channels = getattr(M.source_module("surveys"), "CHANNELS", ())
    return {"wards": services.visible_wards(current_user), "periods": period_choices(),
            "channels": channels}


def drill_url(filters: services.Filters, metric: str, part: str = "numerator", **changes) -> str:
    """The drill-down link of a figure (a dashboard has hundreds: the route is built once per
    request and the query string appended, as url_for would)."""
    from urllib.parse import urlencode

    from flask import g

    base = g.get("dashboard_drill_base")
    if base is None:
        base = g.dashboard_drill_base = url_for("dashboard.drill")
    return f"{base}?{urlencode(filters.args(metric=metric, part=part, **changes))}"


def trend_points(filters: services.Filters, metric: M.Metric, trend) -> list[dict]:
    """Chart points for one metric's monthly trend, each linked to that month's drill-down."""
    part = "numerator"
    points = []
    for label, value, counts in trend:
        tip = M.format_value(metric, value)
        if metric.denominator and value is not None:
            tip += f" (n={metric.sample(counts)})"
        points.append({"label": label, "value": value, "tip": tip,
                       "text": M.format_value(metric, value),
                       "href": drill_url(filters, metric.key, part, period=label,
                                         **{"from": None, "to": None})})
    return points


def overview(filters: services.Filters, sort: str = "", direction: str = "desc") -> dict:
    """Figures with the previous period, the ward ranking and twelve-month trends."""
    metrics = M.registered()
    by_ward = services.ward_counts(filters, metrics)
    figures = services.figures(filters, metrics, by_ward=by_ward)
    ranking = services.ward_ranking(filters, by_ward, metrics, sort, direction != "asc")
    sections, extra = [], {}
    complaints = M.source_module("complaints")
    if complaints is not None:
        sections.append(complaints.LEADER_TEMPLATE)
        extra["top_categories"] = complaints.top_categories(filters)
    if M.source_module("surveys") is not None:
        sections.append(survey_dimensions.TEMPLATE)
        extra.update(dimensions(filters))
    return {"sections": sections, **extra, "filters": filters, "figures": figures, "ranking": ranking,
            "trends": services.trends(filters, metrics), "metrics": metrics,
            "sort": sort, "direction": direction, "drill_url": drill_url,
            "trend_points": trend_points,
            "months": [month_period(d).key for d in filters.period.trend_months()],
            **filter_choices(filters)}


def dimensions(filters: services.Filters) -> dict:
    """Satisfaction per survey dimension (from the monthly summary)."""
    return {"dimensions": survey_dimensions.dimension_figures(filters),
            "dimension_definition": survey_dimensions.DEFINITION}


def quality_queue(filters: services.Filters) -> dict:
    """Queue items from the complaint and survey features, when they are built."""
    items, sections = {}, []
    for name in ("complaints", "surveys"):
        module = M.source_module(name)
        if module is not None and hasattr(module, "queue"):
            items.update(module.queue(filters))
            sections.append(module.QUEUE_TEMPLATE)
    from portal.dashboard import metrics_followups

    items["second_level"] = metrics_followups.second_level(filters)
    return {"queue": items, "queue_sections": sections}


def ward_view(filters: services.Filters) -> dict:
    """The ward's figures beside the hospital's, today's calls, trends of both."""
    from portal.dashboard import metrics_followups

    metrics = M.registered()
    by_ward = services.ward_counts(filters, metrics, ward_ids=None)
    ward_only = {filters.ward.id: by_ward.get(filters.ward.id, {})}
    figures = services.figures(filters, metrics, by_ward=ward_only)
    hospital = services.figures(services.Filters(filters.period, None, filters.channel),
                                metrics, by_ward=by_ward)
    extra = dimensions(filters) if survey_dimensions is not None else {}
    return {**extra, "filters": filters, "figures": figures, "hospital": hospital,
            "metrics": metrics,
            "trends": services.trends(filters, metrics),
            "hospital_trends": services.trends(filters, metrics, ward_ids=None),
            "today": metrics_followups.today_calls([filters.ward.id]),
            "drill_url": drill_url, "trend_points": trend_points,
            "months": [month_period(d).key for d in filters.period.trend_months()],
            **filter_choices(filters)}


def count_table(rows) -> dict:
    """Drill-down counts for leaders: {'wards': [...], 'months': [...], 'cells': {(w, m): n}}."""
    cells, months, ward_ids = defaultdict(int), set(), set()
    for ward_id, month, n in rows:
        cells[(ward_id, month)] += n
        months.add(month)
        ward_ids.add(ward_id)
    wards = list(db.session.scalars(select(Ward).where(Ward.id.in_(ward_ids)).order_by(Ward.code)))
    return {"wards": wards, "months": sorted(months), "cells": cells,
            "total": sum(cells.values())}


def with_loads(query, kind: str):
    """Load what the rows show in one query each (no query per row)."""
    from portal.followups.models import Discharge, FollowUpTask

    if kind in ("discharges", "discharged"):
        return query.options(selectinload(Discharge.patient), selectinload(Discharge.ward))
    if kind == "tasks":
        return query.options(selectinload(FollowUpTask.discharge).selectinload(Discharge.patient),
                             selectinload(FollowUpTask.ward))
    module_loads = getattr(M.source_module({"responses": "surveys", "cases": "complaints"}
                                           .get(kind, "")), "with_loads", None)
    return module_loads(query, kind) if module_loads else query


__all__ = ["overview", "quality_queue", "ward_view", "count_table", "with_loads",
           "filter_choices", "drill_url", "parse_period"]
