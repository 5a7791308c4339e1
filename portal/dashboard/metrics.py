"""The figures the dashboards show, each with its definition (PRODUCT.md, used exactly).

A metric is a ratio (or a count) of two named counts that a source module computes in SQL;
`value()` turns the counts into the figure, None when the denominator is empty ("no data").
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

SMALL_SAMPLE = 30  # a figure from fewer cases carries a small-sample mark


@dataclass(frozen=True)
class Metric:
    key: str
    source: str            # module portal.dashboard.metrics_<source>
    label: object
    definition: object
    numerator: str         # count name
    denominator: str | None
    unit: str = "pct"      # pct | nps | per1000 | count
    higher_is_better: bool = True
    numerator_label: object = ""
    denominator_label: object = ""
    snapshot: bool = False  # a count as of now (open cases): no previous period, no trend

    def value(self, counts: dict) -> float | None:
        num = counts.get(self.numerator, 0)
        if self.unit == "count":
            return float(num)
        den = counts.get(self.denominator, 0)
        if not den:
            return None
        if self.unit == "nps":
            return 100.0 * (num - counts.get("detractors", 0)) / den
        if self.unit == "per1000":
            return 1000.0 * num / den
        return 100.0 * num / den

    def sample(self, counts: dict) -> int:
        return counts.get(self.denominator or self.numerator, 0)

    def small(self, counts: dict) -> bool:
        n = self.sample(counts)
        return 0 < n < SMALL_SAMPLE if self.unit != "count" else False


FOLLOWUP_METRICS = (
    Metric("followup_rate", "followups", _l("Follow-up rate"),
           _l("Follow-up rate (随访率) = discharges with at least one call attempt ÷ discharges "
              "due for follow-up in the period (a ward follow-up task due in the period, up to "
              "today)."),
           "discharges_attempted", "discharges_due",
           numerator_label=_l("Discharges with a call attempt"),
           denominator_label=_l("Discharges due for follow-up")),
    Metric("reach_rate", "followups", _l("Reach rate"),
           _l("Reach rate (随访成功率) = tasks completed with the patient or family reached ÷ "
              "tasks attempted (tasks due in the period with at least one call)."),
           "tasks_reached", "tasks_attempted",
           numerator_label=_l("Tasks reached"), denominator_label=_l("Tasks attempted")),
    Metric("lost_rate", "followups", _l("Lost-to-follow-up rate"),
           _l("Lost-to-follow-up rate (失访率) = tasks closed as lost ÷ tasks attempted "
              "(tasks due in the period with at least one call)."),
           "tasks_lost", "tasks_attempted", higher_is_better=False,
           numerator_label=_l("Tasks lost"), denominator_label=_l("Tasks attempted")),
    Metric("discharges", "followups", _l("Discharges"),
           _l("Discharges (出院人数): patients discharged in the period."),
           "discharges", None, unit="count", numerator_label=_l("Discharges")),
)


def registered() -> tuple[Metric, ...]:
    """Every metric whose source module can run (surveys and complaints join when built)."""
    metrics = list(FOLLOWUP_METRICS)
    for name in ("surveys", "complaints"):
        module = source_module(name)
        if module is not None:
            metrics.extend(module.METRICS)
    return tuple(metrics)


def source_module(name: str):
    """portal.dashboard.metrics_<name>, or None when the feature it reads is not built."""
    try:
        module = importlib.import_module(f"portal.dashboard.metrics_{name}")
    except ImportError:
        return None
    return module if getattr(module, "AVAILABLE", True) else None


def format_value(metric: Metric, value: float | None) -> str:
    """The figure as shown: 85.3% · +23 · 4.20‰ · 1234; 'no data' for an empty period."""
    from flask_babel import gettext

    if value is None:
        return gettext("no data")
    if metric.unit == "pct":
        return f"{value:.1f}%"
    if metric.unit == "nps":
        return f"{value:+.0f}"
    if metric.unit == "per1000":
        return f"{value:.2f}‰"
    return f"{value:.0f}"


def by_key(key: str) -> Metric | None:
    return next((m for m in registered() if m.key == key), None)
