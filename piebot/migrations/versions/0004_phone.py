"""check-in beads that name a level only, and answer windows to the minute

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every bead stored before this was an exact place.
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level_only', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('window_minutes', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.drop_column('window_minutes')
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_column('level_only')
