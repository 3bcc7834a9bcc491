"""The staff overview of people: an index that serves its pages from the index alone.

The overview sorts by user name and filters by staff and locked; with the three in one index, a
page (and the count) reads index entries only, and the rows of the 50 people shown afterwards.

Revision ID: 0120_staff_people
Revises: 0119_staff_orgs
Create Date: 2026-12-06 16:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0120_staff_people'
down_revision = '0119_staff_orgs'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_():
    op.create_index('ix_user_staff_list', 'user', ['username', 'is_staff', 'is_locked'], unique=False)


def downgrade_():
    op.drop_index('ix_user_staff_list', table_name='user')


def upgrade_lets_connect():
    pass


def downgrade_lets_connect():
    pass
