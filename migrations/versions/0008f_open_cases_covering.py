"""complaints: the open-cases index also holds kind and is_repeat

Revision ID: 0008f
Revises: 0008e
Create Date: 2026-11-23 05:15:00

ix_complaints_state_due (state, next_due_on) becomes (state, next_due_on, kind, is_repeat):
the dashboards' open and overdue counts read the index alone instead of looking up each
open case's row among every case ever filed (that lookup grew with the years of history).
"""
from alembic import op

revision = '0008f'
down_revision = '0008e'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_complaints_state_due', table_name='complaints')
    op.create_index('ix_complaints_state_due', 'complaints',
                    ['state', 'next_due_on', 'kind', 'is_repeat'])


def downgrade():
    op.drop_index('ix_complaints_state_due', table_name='complaints')
    op.create_index('ix_complaints_state_due', 'complaints', ['state', 'next_due_on'])
