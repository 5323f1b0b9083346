"""sealed ballots for anonymous answers; existing anonymous answers moved without linking them

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

The schema: the sealedballot table (no rowid on SQLite), owner keys on ratings, evidence and actions,
and who wrote a named action.

The data, in this migration's one transaction: every anonymous rating and piece of evidence is written
afresh in shuffled order under a new random negative key, with its round's or check-in's opening time as
its only time, so neither key order, nor where rows lie, nor the transaction that wrote them lines up with
who answered when. Actions of anonymous rounds keep their ids (buttons in people's chats name them) but
take the opening time too. Helper rows of closed anonymous rounds and check-ins go: the questions asked
(prompts) and where people stood in them (their walks).
"""

import json
import random

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_RANDOM = random.SystemRandom()


def upgrade() -> None:
    op.create_table('sealedballot',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('key'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('sealedballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sealedballot_scope'), ['scope'], unique=False)
        batch_op.create_index(batch_op.f('ix_sealedballot_team_id'), ['team_id'], unique=False)

    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author_member_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('owner_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index(batch_op.f('ix_action_author_member_id'), ['author_member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_owner_key'), ['owner_key'], unique=False)
        batch_op.create_foreign_key('fk_action_author_member_id_member', 'member', ['author_member_id'], ['id'])

    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index(batch_op.f('ix_evidence_owner_key'), ['owner_key'], unique=False)

    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index(batch_op.f('ix_rating_owner_key'), ['owner_key'], unique=False)

    _move_anonymous_answers(op.get_bind())


def _move_anonymous_answers(conn) -> None:
    meta = sa.MetaData()
    tables = {name: sa.Table(name, meta, autoload_with=conn)
              for name in ('round', 'checkin', 'rating', 'evidence', 'action', 'prompt', 'dialog')}
    rounds, checkins = tables['round'], tables['checkin']
    opened = {('round', i): at for i, at in conn.execute(
        sa.select(rounds.c.id, rounds.c.opened_at).where(rounds.c.anonymous == sa.true()))}
    opened |= {('checkin', i): at for i, at in conn.execute(
        sa.select(checkins.c.id, checkins.c.opened_at).where(checkins.c.anonymous == sa.true()))}
    closed_rounds = set(conn.execute(sa.select(rounds.c.id).where(
        rounds.c.anonymous == sa.true(), rounds.c.status == 'closed')).scalars())
    closed_checkins = set(conn.execute(sa.select(checkins.c.id).where(
        checkins.c.anonymous == sa.true(), checkins.c.closed_at.is_not(None))).scalars())

    def scope_of(row) -> tuple[str, int] | None:
        if row['round_id'] is not None and ('round', row['round_id']) in opened:
            return 'round', row['round_id']
        if row['checkin_id'] is not None and ('checkin', row['checkin_id']) in opened:
            return 'checkin', row['checkin_id']
        return None

    for name in ('rating', 'evidence'):
        table = tables[name]
        rows = [dict(r) for r in conn.execute(sa.select(table).where(table.c.member_id.is_(None))).mappings()]
        rows = [r for r in rows if scope_of(r) is not None]
        if not rows:
            continue
        conn.execute(table.delete().where(table.c.id.in_([r['id'] for r in rows])))
        used = set(conn.execute(sa.select(table.c.id)).scalars())
        _RANDOM.shuffle(rows)
        for row in rows:
            new_id = _RANDOM.randint(-(2**31), -1)
            while new_id in used:
                new_id = _RANDOM.randint(-(2**31), -1)
            used.add(new_id)
            stamp = opened[scope_of(row)]
            row.update(id=new_id, created_at=stamp, owner_key=None)
            if 'updated_at' in row:
                row['updated_at'] = stamp
            conn.execute(table.insert().values(**row))

    actions = tables['action']
    for row in conn.execute(sa.select(actions.c.id, actions.c.round_id, actions.c.checkin_id)).mappings().all():
        scope = scope_of(row)
        if scope is not None:
            conn.execute(actions.update().where(actions.c.id == row['id']).values(created_at=opened[scope]))

    prompts = tables['prompt']
    conn.execute(prompts.delete().where(sa.or_(
        sa.and_(prompts.c.round_id.in_(closed_rounds), prompts.c.purpose == 'stage'),
        prompts.c.checkin_id.in_(closed_checkins),
    )))

    dialogs = tables['dialog']
    gone = {str(i) for i in closed_rounds}
    for dialog_id, state in conn.execute(sa.select(dialogs.c.id, dialogs.c.state)).all():
        state = json.loads(state) if isinstance(state, str) else state
        walk = (state or {}).get('walk') if isinstance(state, dict) else None
        places = walk.get('rounds') if isinstance(walk, dict) else None
        if not isinstance(places, dict) or not gone & set(places):
            continue
        walk = {**walk, 'rounds': {k: v for k, v in places.items() if k not in gone}}
        if str(walk.get('active')) in gone:
            walk['active'] = None
        conn.execute(dialogs.update().where(dialogs.c.id == dialog_id).values(state={**state, 'walk': walk}))


def downgrade() -> None:
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_owner_key'))
        batch_op.drop_column('owner_key')

    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_owner_key'))
        batch_op.drop_column('owner_key')

    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_constraint('fk_action_author_member_id_member', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_action_owner_key'))
        batch_op.drop_index(batch_op.f('ix_action_author_member_id'))
        batch_op.drop_column('owner_key')
        batch_op.drop_column('author_member_id')

    with op.batch_alter_table('sealedballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sealedballot_team_id'))
        batch_op.drop_index(batch_op.f('ix_sealedballot_scope'))

    op.drop_table('sealedballot')
