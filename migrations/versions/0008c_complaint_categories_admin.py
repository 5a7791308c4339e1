"""complaint categories admin: a version for stale edits; corrective actions by owner

Revision ID: 0008c
Revises: 0007
Create Date: 2026-11-23 00:40:00

- complaint_categories.version: the admin page refuses an edit made on an out-of-date
  form with 409 (optimistic locking like users and wards). Existing rows get version 1.
- ix_complaint_actions_owner_status: "my corrective actions" (owner, open) on the register.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008c'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaint_categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                      server_default='1'))
    with op.batch_alter_table('complaint_categories', schema=None) as batch_op:
        batch_op.alter_column('version', server_default=None)
    with op.batch_alter_table('complaint_actions', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_actions_owner_status', ['owner_id', 'status'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('complaint_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_actions_owner_status')
    with op.batch_alter_table('complaint_categories', schema=None) as batch_op:
        batch_op.drop_column('version')
