"""the review of the Pizazz: which elements of a round the team had looked at before (they open with the review)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rounds opened before this had no review: none of their elements opens with one.
    with op.batch_alter_table('roundelement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('looked_at_before', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('roundelement', schema=None) as batch_op:
        batch_op.drop_column('looked_at_before')
