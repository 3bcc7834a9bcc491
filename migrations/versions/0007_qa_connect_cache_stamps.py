"""Cache stamps: a per-process cache of the capacity tree is valid while its stamp is unchanged.

Revision ID: 0112_qa_connect
Revises: 0107_connect
Create Date: 2026-11-21 22:52:07.902909

"""
import datetime as dt
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0112_qa_connect'
down_revision = '0107_connect'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_():
    table = op.create_table('cache_stamp',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('stamp', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_stamp')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    # A first stamp, so that processes cache the tree before the first write to capacities.
    op.bulk_insert(table, [{"name": "capacities", "stamp": secrets.token_hex(16),
                            "updated_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)}])


def downgrade_():
    op.drop_table('cache_stamp')


def upgrade_lets_connect():
    pass


def downgrade_lets_connect():
    pass

