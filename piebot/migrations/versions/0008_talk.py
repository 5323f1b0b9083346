"""a team view reached by talking (beads named and shown only by choice), when a round's results left
the team, whether a network lead sees a team's written answers, and replies that edit an item

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rounds so far showed names beside beads; from now on that is a choice made at the start. Results
    # of earlier rounds have not been marked as having left the team. Written answers reach a network
    # lead only when the team's admin switched that on: off for every team until they do.
    # Plain ADD COLUMN (no table copy): other tables point at round, and SQLite can add a column in place.
    op.add_column('round', sa.Column('names_shown', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('round', sa.Column('left_team_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column('networkmembership',
                  sa.Column('share_written', sa.Boolean(), nullable=False, server_default=sa.false()))
    # A reply with new words for an evidence item, asked from its receipt.
    op.add_column('prompt', sa.Column('evidence_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('prompt', 'evidence_id')
    op.drop_column('networkmembership', 'share_written')
    op.drop_column('round', 'left_team_at')
    op.drop_column('round', 'names_shown')
