"""Events that follow a WikiLearn course: what the refresh-courses job last read from the course.

Revision ID: 0122_course_fetch
Revises: 0121_public_profiles
Create Date: 2026-12-06 16:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0122_course_fetch'
down_revision = '0121_public_profiles'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_():
    op.create_table('event_course_fetch',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('course_key', sa.String(length=255), nullable=False),
    sa.Column('fetched', sa.Text(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_course_fetch_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_event_course_fetch')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )


def downgrade_():
    op.drop_table('event_course_fetch')


def upgrade_lets_connect():
    pass


def downgrade_lets_connect():
    pass
