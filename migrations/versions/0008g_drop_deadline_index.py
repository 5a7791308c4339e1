"""complaints: the open-cases index in list order; no index on next_due_on alone

Revision ID: 0008g
Revises: 0008f
Create Date: 2026-12-03 13:00:00

Every list and count that reads deadlines filters by state first and goes through
ix_complaints_state_due (state, next_due_on, ...). The index on next_due_on alone served none
of them, and SQLite took it for "next_due_on IS NULL", whose entries are every closed case:
the quality queue's cases without a deadline read them all (70 ms a page at 50,000 cases).

ix_complaints_state_due becomes (state, next_due_on, id, kind, is_repeat): the lists' order
is (next_due_on, id), so one state's cases are read in that order, cut at the page, with no
sort (the 5,000 verified cases without a deadline were sorted by id for every page); kind and
is_repeat stay for the dashboards' counts, which read the index alone.
"""
from alembic import op

revision = '0008g'
down_revision = '0008f'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_complaints_next_due_on', table_name='complaints')
    op.drop_index('ix_complaints_state_due', table_name='complaints')
    op.create_index('ix_complaints_state_due', 'complaints',
                    ['state', 'next_due_on', 'id', 'kind', 'is_repeat'])


def downgrade():
    op.drop_index('ix_complaints_state_due', table_name='complaints')
    op.create_index('ix_complaints_state_due', 'complaints',
                    ['state', 'next_due_on', 'kind', 'is_repeat'])
    op.create_index('ix_complaints_next_due_on', 'complaints', ['next_due_on'])
