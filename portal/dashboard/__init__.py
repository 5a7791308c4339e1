"""Read-only aggregates and the dashboards built on them."""
