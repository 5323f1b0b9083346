"""an anonymous round's items marked about relationships, kept apart from the answers

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Keyed by the item's random key, naming nobody; an item that goes takes its mark with it.
    op.create_table(
        'relationshipmark',
        sa.Column('evidence_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('evidence_id'),
    )


def downgrade() -> None:
    op.drop_table('relationshipmark')
