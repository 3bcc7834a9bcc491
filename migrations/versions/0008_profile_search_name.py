"""Explore name search: a folded copy of each profile's names, and a walk index that covers it.

Name search used to join every profile it walked to its user row and compare with a
case-insensitive collation; reading the folded names from the index the walk already follows
makes it a scan of index entries only.

Revision ID: 0113_search_name
Revises: 0112_qa_connect
Create Date: 2026-11-22 01:30:00

"""
import unicodedata

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


# revision identifiers, used by Alembic.
revision = '0113_search_name'
down_revision = '0112_qa_connect'
branch_labels = None
depends_on = None

BATCH = 5000
LENGTH = 520


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def _fold(text):
    # A frozen copy of capx.models.people.fold_for_search: migrations must not change with the app.
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def upgrade_():
    column_type = sa.String(LENGTH).with_variant(mysql.VARCHAR(LENGTH, collation="utf8mb4_bin"), "mysql", "mariadb")
    op.add_column('profile', sa.Column('search_name', column_type, server_default='', nullable=False))
    bind = op.get_bind()
    profile = sa.table('profile', sa.column('id', sa.Integer), sa.column('user_id', sa.Integer),
                       sa.column('alt_account', sa.String), sa.column('search_name', sa.String))
    user = sa.table('user', sa.column('id', sa.Integer), sa.column('username', sa.String))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(profile.c.id, user.c.username, profile.c.alt_account)
            .join(user, user.c.id == profile.c.user_id).where(profile.c.id > last)
            .order_by(profile.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(profile.update().where(profile.c.id == sa.bindparam('pid'))
                     .values(search_name=sa.bindparam('name')),
                     [{"pid": pid, "name": "\n".join(_fold(n) for n in (username, alt) if n)[:LENGTH]}
                      for pid, username, alt in rows])
        last = rows[-1][0]
    op.create_index('ix_profile_walk', 'profile', ['updated_at', 'id', 'user_id', 'search_name'], unique=False)
    op.drop_index('ix_profile_updated_at', table_name='profile')


def downgrade_():
    op.create_index('ix_profile_updated_at', 'profile', ['updated_at'], unique=False)
    op.drop_index('ix_profile_walk', table_name='profile')
    op.drop_column('profile', 'search_name')


def upgrade_lets_connect():
    pass


def downgrade_lets_connect():
    pass
