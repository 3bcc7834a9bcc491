"""Organization profile details, projects, documents, Diff tags and posts

Adds what organization managers keep on a profile beyond the core model (report link and
contacts, up to four main projects and documents, Diff tags) and the Diff posts stored by
``flask capx fetch-news``. No change to existing tables.

Revision ID: 0106_organizations
Revises: 0103_profiles
Create Date: 2026-11-21 22:08:38.634765

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0106_organizations'
down_revision = '0103_profiles'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_():
    op.create_table('diff_post',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('excerpt', sa.Text(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diff_post')),
    sa.UniqueConstraint('link', name='uq_diff_post_link'),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('diff_post', schema=None) as batch_op:
        batch_op.create_index('ix_diff_post_published', ['published_at'], unique=False)

    op.create_table('diff_post_tag',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['diff_post.id'], name=op.f('fk_diff_post_tag_post_id_diff_post'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'slug', name=op.f('pk_diff_post_tag')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('diff_post_tag', schema=None) as batch_op:
        batch_op.create_index('ix_diff_post_tag_slug', ['slug', 'post_id'], unique=False)

    op.create_table('organization_details',
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('report_url', sa.String(length=500), nullable=True),
    sa.Column('contact_meta_url', sa.String(length=500), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('contact_website', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_organization_details_organization_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id', name=op.f('pk_organization_details')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('organization_diff_tag',
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_organization_diff_tag_organization_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id', 'slug', name=op.f('pk_organization_diff_tag')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('organization_diff_tag', schema=None) as batch_op:
        batch_op.create_index('ix_organization_diff_tag_slug', ['slug'], unique=False)

    op.create_table('organization_document',
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_organization_document_organization_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id', 'position', name=op.f('pk_organization_document')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('organization_project',
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('image_file', sa.String(length=255), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_organization_project_organization_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id', 'position', name=op.f('pk_organization_project')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )


def downgrade_():
    op.drop_table('organization_project')
    op.drop_table('organization_document')
    with op.batch_alter_table('organization_diff_tag', schema=None) as batch_op:
        batch_op.drop_index('ix_organization_diff_tag_slug')

    op.drop_table('organization_diff_tag')
    op.drop_table('organization_details')
    with op.batch_alter_table('diff_post_tag', schema=None) as batch_op:
        batch_op.drop_index('ix_diff_post_tag_slug')

    op.drop_table('diff_post_tag')
    with op.batch_alter_table('diff_post', schema=None) as batch_op:
        batch_op.drop_index('ix_diff_post_published')

    op.drop_table('diff_post')


def upgrade_lets_connect():
    pass  # nothing in the Let's Connect database


def downgrade_lets_connect():
    pass

