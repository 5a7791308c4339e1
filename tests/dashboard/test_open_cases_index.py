"""The open cases' counts read the (state, next_due_on, id, kind, is_repeat) index alone: no
lookup of each open case's row among every case ever filed (that grew with the history); the
lists read one state in (deadline, id) order from it, and no index on next_due_on alone
competes with it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, inspect

from portal.extensions import db
from portal.timeutil import local_today

metrics_complaints = pytest.importorskip("portal.dashboard.metrics_complaints")


def test_open_cases_index_holds_kind_and_repeat(app):
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(db.engine).get_indexes("complaints")}
    assert indexes["ix_complaints_state_due"] == ["state", "next_due_on", "id", "kind",
                                                  "is_repeat"]
    assert not [n for n, cols in indexes.items() if cols == ["next_due_on"]]


def test_open_case_counts_read_only_the_index(app):
    """(The per-ward join's order depends on the table statistics: not checked here.)"""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the query plan is SQLite's")
    seen = []

    def grab(conn, cursor, statement, params, context, many):
        if "FROM complaints" in statement and "state IN" in statement:
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        today = local_today()
        metrics_complaints.aggregate(today - timedelta(days=365), today)
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    assert seen
    raw = db.session.connection().connection.driver_connection
    for statement, params in seen:
        plan = " | ".join(r[3] for r in raw.execute("EXPLAIN QUERY PLAN " + statement, params))
        assert "COVERING INDEX ix_complaints_state_due" in plan, plan
