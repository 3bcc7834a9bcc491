"""Let's Connect for real and badges earned elsewhere.

- ``profile.lets_connect_confirmation``: the confirmation Let's Connect answered to the person's
  registration (the registration itself now lives only on Let's Connect).
- ``badge.external_key``: the issuer's own key of an external badge (WikiLearn's badge class slug,
  Let's Connect's badge name), unique per source, so the badges job finds it again.
- ``badge_image``: a size-capped copy of an external badge's picture, served by CapX itself (the
  pages never load images from hosts outside Wikimedia).

Revision ID: 0117_connect
Revises: 0116_hardening
Create Date: 2026-12-06 16:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


# revision identifiers, used by Alembic.
revision = '0117_connect'
down_revision = '0116_hardening'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_():
    op.add_column('profile', sa.Column('lets_connect_confirmation', sa.String(length=100), nullable=True))
    op.add_column('badge', sa.Column('external_key', sa.String(length=200), nullable=True))
    op.create_index('ix_badge_source_external_key', 'badge', ['source', 'external_key'], unique=True)
    op.create_table('badge_image',
    sa.Column('badge_id', sa.Integer(), nullable=False),
    sa.Column('source_url', sa.String(length=500), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('data', sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), 'mysql', 'mariadb'), nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['badge_id'], ['badge.id'], name=op.f('fk_badge_image_badge_id_badge'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('badge_id', name=op.f('pk_badge_image')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )


def downgrade_():
    op.drop_table('badge_image')
    op.drop_index('ix_badge_source_external_key', table_name='badge')
    with op.batch_alter_table('badge') as batch_op:
        batch_op.drop_column('external_key')
    with op.batch_alter_table('profile') as batch_op:
        batch_op.drop_column('lets_connect_confirmation')


def upgrade_lets_connect():
    pass


def downgrade_lets_connect():
    pass
