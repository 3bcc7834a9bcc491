"""Staff tools for organizations: a parent organization, and the addresses of merged ones.

- ``organization.parent_id``: the organization this one belongs to (staff set it; NULL when none
  or when the parent is erased).
- ``organization_redirect``: an organization merged into another one (staff merge duplicates)
  leaves its id here, so its old address (/organization_profile/<old id> and the pages under it)
  leads to the organization it went into; ``report`` keeps what the merge could not move (JSON),
  shown to staff after the merge.

Revision ID: 0119_staff_orgs
Revises: 0118_keep_history
Create Date: 2026-12-06 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0119_staff_orgs'
down_revision = '0118_keep_history'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_():
    with op.batch_alter_table('organization') as batch:
        batch.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_organization_parent', 'organization', ['parent_id'], ['id'],
                                 ondelete='SET NULL')
        batch.create_index('ix_organization_parent', ['parent_id'], unique=False)
    op.create_table(
        'organization_redirect',
        sa.Column('old_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('report', sa.Text(), nullable=True),
        sa.Column('merged_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['target_id'], ['organization.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('old_id'),
        mysql_charset='utf8mb4', mysql_collate='utf8mb4_unicode_ci', mysql_engine='InnoDB',
    )
    op.create_index('ix_organization_redirect_target', 'organization_redirect', ['target_id'], unique=False)


def downgrade_():
    op.drop_index('ix_organization_redirect_target', table_name='organization_redirect')
    op.drop_table('organization_redirect')
    with op.batch_alter_table('organization') as batch:
        batch.drop_index('ix_organization_parent')
        batch.drop_constraint('fk_organization_parent', type_='foreignkey')
        batch.drop_column('parent_id')


def upgrade_lets_connect():
    pass


def downgrade_lets_connect():
    pass
