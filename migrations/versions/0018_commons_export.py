"""The Commons tabular export: the hash of each page's last successful export (no edit when unchanged).

Revision ID: 0123_commons_export
Revises: 0122_course_fetch
Create Date: 2026-12-06 17:10:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0123_commons_export'
down_revision = '0122_course_fetch'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_():
    op.create_table('commons_export',
    sa.Column('page', sa.String(length=255), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('exported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('page', name=op.f('pk_commons_export')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )


def downgrade_():
    op.drop_table('commons_export')


def upgrade_lets_connect():
    pass


def downgrade_lets_connect():
    pass
