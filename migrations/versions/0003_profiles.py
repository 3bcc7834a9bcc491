"""Profiles: badge progress (main database) and Let's Connect registrations (lets_connect bind only)

Revision ID: 0103_profiles
Revises: 0104_directory
Create Date: 2026-11-21 22:08:39.419717

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0103_profiles'
down_revision = '0104_directory'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_():
    op.create_table('user_badge',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('badge', sa.String(length=40), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('earned_at', sa.DateTime(), nullable=True),
    sa.Column('granted_by_hand', sa.Boolean(), nullable=False),
    sa.Column('displayed', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_badge_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'badge', name=op.f('pk_user_badge')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('user_badge', schema=None) as batch_op:
        batch_op.create_index('ix_user_badge_badge', ['badge', 'earned_at'], unique=False)



def downgrade_():
    with op.batch_alter_table('user_badge', schema=None) as batch_op:
        batch_op.drop_index('ix_user_badge_badge')

    op.drop_table('user_badge')


def upgrade_lets_connect():
    op.create_table('lets_connect_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('topics', sa.String(length=200), nullable=True),
    sa.Column('topic_other', sa.String(length=200), nullable=True),
    sa.Column('gender', sa.String(length=30), nullable=True),
    sa.Column('gender_other', sa.String(length=100), nullable=True),
    sa.Column('age_range', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lets_connect_registration')),
    sa.UniqueConstraint('user_id', name=op.f('uq_lets_connect_registration_user_id')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )


def downgrade_lets_connect():
    op.drop_table('lets_connect_registration')

