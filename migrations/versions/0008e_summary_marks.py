"""dashboard summaries: complaints per ward set and day; writes mark keys, readers recompute

Revision ID: 0008e
Revises: 0008d
Create Date: 2026-11-23 04:00:00

- summary_complaints_daily: complaints, praise, deadlines due and met per ward set, day and
  category (the complaint figures no longer read the complaint tables for a period).
- summary_dirty: keys a write touched; the summaries' readers recompute them first
  (portal/dashboard/summaries.py), so logging a call no longer recomputes summaries.
Filled here from the base tables; `flask --app wsgi verify-summaries` checks them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008e'
down_revision = '0008d'
branch_labels = None
depends_on = None

COUNT = dict(nullable=False, server_default='0')


def upgrade():
    op.create_table(
        'summary_complaints_daily',
        sa.Column('wards', sa.String(length=200), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('category_id', sa.Integer(), autoincrement=False, nullable=False),
        *[sa.Column(n, sa.Integer(), **COUNT) for n in (
            'complaints', 'praise', 'deadline_due', 'on_time')],
        sa.PrimaryKeyConstraint('wards', 'day', 'category_id',
                                name=op.f('pk_summary_complaints_daily')))
    op.create_index('ix_summary_complaints_daily_day', 'summary_complaints_daily', ['day'])
    op.create_table(
        'summary_dirty',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('summary', sa.String(length=20), nullable=False),
        sa.Column('ref', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_dirty')))

    from portal.dashboard import summaries

    summaries.rebuild(op.get_bind(), names=["complaints"])


def downgrade():
    op.drop_table('summary_dirty')
    op.drop_index('ix_summary_complaints_daily_day', table_name='summary_complaints_daily')
    op.drop_table('summary_complaints_daily')
