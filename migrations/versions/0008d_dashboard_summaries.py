"""dashboard summaries: daily per-ward counts the dashboard figures read

Revision ID: 0008d
Revises: 0008c
Create Date: 2026-11-23 00:40:00

Derived tables (no foreign keys), filled here from the base tables so an upgraded database
shows the same figures at once; `flask --app wsgi verify-summaries` compares them with the
base tables and `rebuild-summaries` fills them again.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008d'
down_revision = '0008c'
branch_labels = None
depends_on = None

COUNT = dict(nullable=False, server_default='0')


def upgrade():
    op.create_table(
        'summary_discharges_daily',
        sa.Column('ward_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('discharges', sa.Integer(), **COUNT),
        sa.PrimaryKeyConstraint('ward_id', 'day', name=op.f('pk_summary_discharges_daily')))
    op.create_table(
        'summary_followups_daily',
        sa.Column('ward_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('prev_day', sa.Date(), nullable=False),
        *[sa.Column(n, sa.Integer(), **COUNT) for n in (
            'due_links', 'attempted_links', 'tasks_attempted', 'tasks_reached', 'tasks_lost')],
        sa.PrimaryKeyConstraint('ward_id', 'day', 'prev_day',
                                name=op.f('pk_summary_followups_daily')))
    op.create_table(
        'summary_surveys_monthly',
        sa.Column('ward_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('channel', sa.String(length=12), nullable=False),
        *[sa.Column(n, sa.Integer(), **COUNT) for n in (
            'responses', 'sat_valid', 'sat_top2', 'nps_valid', 'promoters', 'detractors',
            'invitations')],
        sa.PrimaryKeyConstraint('ward_id', 'day', 'channel',
                                name=op.f('pk_summary_surveys_monthly')))
    op.create_table(
        'summary_survey_dimensions_monthly',
        sa.Column('ward_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('channel', sa.String(length=12), nullable=False),
        sa.Column('dimension', sa.String(length=32), nullable=False),
        sa.Column('valid', sa.Integer(), **COUNT),
        sa.Column('top2', sa.Integer(), **COUNT),
        sa.PrimaryKeyConstraint('ward_id', 'day', 'channel', 'dimension',
                                name=op.f('pk_summary_survey_dimensions_monthly')))
    # the dashboard reads days of one ward (ranking: days of every ward)
    op.create_index('ix_summary_followups_daily_day', 'summary_followups_daily', ['day'])
    op.create_index('ix_summary_discharges_daily_day', 'summary_discharges_daily', ['day'])
    # complaint figures read the cases of a period through indexes (not every case ever)
    op.create_index('ix_complaints_response_due_on', 'complaints', ['response_due_on'])

    from portal.dashboard import summaries

    summaries.rebuild(op.get_bind(), names=["discharges", "followups", "surveys",
                                            "survey_dimensions"])


def downgrade():
    op.drop_index('ix_complaints_response_due_on', table_name='complaints')
    op.drop_index('ix_summary_discharges_daily_day', table_name='summary_discharges_daily')
    op.drop_index('ix_summary_followups_daily_day', table_name='summary_followups_daily')
    op.drop_table('summary_survey_dimensions_monthly')
    op.drop_table('summary_surveys_monthly')
    op.drop_table('summary_followups_daily')
    op.drop_table('summary_discharges_daily')
