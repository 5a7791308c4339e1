"""The migrations build exactly the schema the models describe, on the test database."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as con:
        context = MigrationContext.configure(con, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_audit_log_is_append_only_in_the_database(app):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from portal.audit import services as audit

    audit.record("test.entry", object_type="test", object_id="1")
    db.session.commit()
    for statement in ("UPDATE audit_entries SET action = 'changed'", "DELETE FROM audit_entries"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.execute(text("SELECT action FROM audit_entries")).scalars().all() == ["test.entry"]
