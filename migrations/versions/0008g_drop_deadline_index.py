"""complaints: no index on next_due_on alone

Revision ID: 0008g
Revises: 0008f
Create Date: 2026-12-03 13:00:00

Every list and count that reads deadlines filters by state first and goes through
ix_complaints_state_due (state, next_due_on, ...). The index on next_due_on alone served none
of them, and SQLite took it for "next_due_on IS NULL", whose entries are every closed case:
the quality queue's cases without a deadline read them all (70 ms a page at 50,000 cases).
"""
from alembic import op

revision = '0008g'
down_revision = '0008f'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_complaints_next_due_on', table_name='complaints')


def downgrade():
    op.create_index('ix_complaints_next_due_on', 'complaints', ['next_due_on'])
