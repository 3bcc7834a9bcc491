"""The stored copy of the picture of the WikiLearn course an event uses (``event_course_image``):
CapX serves it itself, pages never load pictures from learn.wiki. ``content_type`` and ``data``
are NULL while the copy is pending (the refresh-courses job copies it).

Revision ID: 0124_event_course_image
Revises: 0123_commons_export
Create Date: 2026-12-06 19:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '0124_event_course_image'
down_revision = '0123_commons_export'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_():
    op.create_table('event_course_image',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('source_url', sa.String(length=500), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=True),
    sa.Column('data', sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), 'mysql', 'mariadb'), nullable=True),
    sa.Column('fetched_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_course_image_event_id_event'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_event_course_image')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )


def downgrade_():
    op.drop_table('event_course_image')


def upgrade_lets_connect():
    pass


def downgrade_lets_connect():
    pass
