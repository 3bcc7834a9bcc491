"""Explore name search: the three-character grams of each profile's folded names.

A name that matches one person used to scan every profile's search_name (the whole walk index:
about 36 ms at 100,000 profiles on MariaDB, ten times that at a million). With the grams, the
candidates are the rows of the search text's rarest gram (name_gram_count, refreshed by the
statistics job, tells which). Filled here for existing profiles, 10,000 at a time, by the
database itself.

Revision ID: 0114_name_grams
Revises: 0113_search_name
Create Date: 2026-12-03 11:20:12

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '0114_name_grams'
down_revision = '0113_search_name'
branch_labels = None
depends_on = None

GRAM = 3
SEARCH_NAME_LENGTH = 520
BATCH = 10_000


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def _fill(bind, low, high):
    # A frozen copy of capx.models.people.fill_name_grams: migrations must not change with the app.
    profile = sa.table('profile', sa.column('id', sa.Integer), sa.column('search_name', sa.String))
    grams = sa.table('profile_name_gram', sa.column('gram', sa.String), sa.column('profile_id', sa.Integer))
    positions = sa.select(sa.literal(1).label("i")).cte("positions", recursive=True)
    positions = positions.union_all(sa.select(positions.c.i + 1).where(positions.c.i < SEARCH_NAME_LENGTH - GRAM + 1))
    gram = sa.func.substr(profile.c.search_name, positions.c.i, GRAM)
    bind.execute(grams.insert().from_select(["gram", "profile_id"], sa.select(gram, profile.c.id).distinct()
        .join(positions, positions.c.i <= sa.func.char_length(profile.c.search_name) - GRAM + 1)
        .where(profile.c.id.between(low, high), gram.not_like("%\n%"))))


def upgrade_():
    op.create_table('profile_name_gram',
    sa.Column('gram', sa.String(length=3).with_variant(mysql.VARCHAR(collation='utf8mb4_bin', length=3), 'mariadb').with_variant(mysql.VARCHAR(collation='utf8mb4_bin', length=3), 'mysql'), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['profile.id'], name=op.f('fk_profile_name_gram_profile_id_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('gram', 'profile_id', name=op.f('pk_profile_name_gram')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('profile_name_gram', schema=None) as batch_op:
        batch_op.create_index('ix_profile_name_gram_profile', ['profile_id'], unique=False)
    # How many profiles have each gram: filled by the statistics job (refresh-statistics).
    op.create_table('name_gram_count',
    sa.Column('gram', sa.String(length=3).with_variant(mysql.VARCHAR(collation='utf8mb4_bin', length=3), 'mariadb').with_variant(mysql.VARCHAR(collation='utf8mb4_bin', length=3), 'mysql'), nullable=False),
    sa.Column('profiles', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('gram', name=op.f('pk_name_gram_count')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    bind = op.get_bind()
    top = bind.execute(sa.text("SELECT MAX(id) FROM profile")).scalar() or 0
    for low in range(1, top + 1, BATCH):
        _fill(bind, low, low + BATCH - 1)


def downgrade_():
    op.drop_table('name_gram_count')
    with op.batch_alter_table('profile_name_gram', schema=None) as batch_op:
        batch_op.drop_index('ix_profile_name_gram_profile')
    op.drop_table('profile_name_gram')


def upgrade_lets_connect():
    pass


def downgrade_lets_connect():
    pass
