"""Public profiles: each person chooses whether visitors who are not logged in may see theirs.

``profile.is_public`` is false for every existing (and imported) profile: nobody's profile
becomes visible to the open web without their choice.

Revision ID: 0121_public_profiles
Revises: 0120_staff_people
Create Date: 2026-12-06 16:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0121_public_profiles'
down_revision = '0120_staff_people'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_():
    with op.batch_alter_table('profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_public', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade_():
    with op.batch_alter_table('profile', schema=None) as batch_op:
        batch_op.drop_column('is_public')


def upgrade_lets_connect():
    pass


def downgrade_lets_connect():
    pass
