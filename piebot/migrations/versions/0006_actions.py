"""actions followed to done (their history and reply prompts), evidence about relationships

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nothing was marked before, and no action had been dropped.
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('about_relationships', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('drop_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=''))
    op.create_table(
        'actionchange',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('due', sa.Date(), nullable=True),
        sa.Column('due_before', sa.Date(), nullable=True),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('changed_by_member_id', sa.Integer(), nullable=True),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['action_id'], ['action.id']),
        sa.ForeignKeyConstraint(['changed_by_member_id'], ['member.id']),
        sa.ForeignKeyConstraint(['team_id'], ['team.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('actionchange', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actionchange_action_id'), ['action_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_actionchange_team_id'), ['team_id'], unique=False)
    op.create_table(
        'actionquestion',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('message_id', sa.BigInteger(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.Column('asking', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('origin_message_id', sa.BigInteger(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['action_id'], ['action.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('chat_id', 'message_id'),
    )
    with op.batch_alter_table('actionquestion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actionquestion_action_id'), ['action_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('actionquestion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_actionquestion_action_id'))
    op.drop_table('actionquestion')
    with op.batch_alter_table('actionchange', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_actionchange_team_id'))
        batch_op.drop_index(batch_op.f('ix_actionchange_action_id'))
    op.drop_table('actionchange')
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_column('drop_reason')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_column('about_relationships')
