"""worklist: index for the done count (ward, kind, status, due date)

Revision ID: 0002w
Revises: 0006
Create Date: 2026-11-22 22:02:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0002w'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('followup_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_followup_tasks_ward_kind_status_due',
                              ['ward_id', 'kind', 'status', 'due_on'], unique=False)


def downgrade():
    with op.batch_alter_table('followup_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_followup_tasks_ward_kind_status_due')
