"""mentorship programs and dashboard statistics

Mentorship programs with their forms (questions as data) and encrypted applications; the
pre-computed figures of the Data Analytics dashboard.

Revision ID: 0108_mentorship
Revises: 0106_organizations
Create Date: 2026-11-21 22:09:17.373456

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0108_mentorship'
down_revision = '0106_organizations'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()





def upgrade_():
    op.create_table('statistic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=30), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=True),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statistic')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('statistic', schema=None) as batch_op:
        batch_op.create_index('ix_statistic_item', ['metric', 'item_id', 'kind'], unique=False)
        batch_op.create_index('ix_statistic_lookup', ['metric', 'region_id', 'item_id', 'kind'], unique=False)

    op.create_table('mentorship_program',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('format', sa.Enum('online', 'in-person', 'hybrid', name='mentorship_format', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=True),
    sa.Column('registration_start', sa.Date(), nullable=False),
    sa.Column('registration_end', sa.Date(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('form_language', sa.String(length=35), nullable=True),
    sa.Column('public_key_pem', sa.Text(), nullable=True),
    sa.Column('key_fingerprint', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_mentorship_program_organization_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentorship_program')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('mentorship_program', schema=None) as batch_op:
        batch_op.create_index('ix_mentorship_program_organization', ['organization_id'], unique=False)

    op.create_table('mentorship_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('mentor', 'mentee', name='mentorship_application_role', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('key_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
    sa.Column('nonce', sa.LargeBinary(), nullable=False),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['applicant_id'], ['user.id'], name=op.f('fk_mentorship_application_applicant_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['mentorship_program.id'], name=op.f('fk_mentorship_application_program_id_mentorship_program'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentorship_application')),
    sa.UniqueConstraint('program_id', 'applicant_id', 'role', name='uq_mentorship_application_once'),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('mentorship_application', schema=None) as batch_op:
        batch_op.create_index('ix_mentorship_application_applicant', ['applicant_id'], unique=False)

    op.create_table('mentorship_program_capacity',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('capacity_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['capacity_id'], ['capacity.id'], name=op.f('fk_mentorship_program_capacity_capacity_id_capacity')),
    sa.ForeignKeyConstraint(['program_id'], ['mentorship_program.id'], name=op.f('fk_mentorship_program_capacity_program_id_mentorship_program'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('program_id', 'capacity_id', name=op.f('pk_mentorship_program_capacity')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('mentorship_program_language',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('language_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['language_id'], ['language.id'], name=op.f('fk_mentorship_program_language_language_id_language')),
    sa.ForeignKeyConstraint(['program_id'], ['mentorship_program.id'], name=op.f('fk_mentorship_program_language_program_id_mentorship_program'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('program_id', 'language_id', name=op.f('pk_mentorship_program_language')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('mentorship_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('mentor', 'mentee', name='mentorship_role', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('short-text', 'long-text', 'single-choice', 'multiple-choice', 'email', 'url', name='mentorship_question_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('label', sa.String(length=500), nullable=False),
    sa.Column('help', sa.Text(), nullable=True),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['program_id'], ['mentorship_program.id'], name=op.f('fk_mentorship_question_program_id_mentorship_program'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentorship_question')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('mentorship_question', schema=None) as batch_op:
        batch_op.create_index('ix_mentorship_question_program_role', ['program_id', 'role', 'position'], unique=False)



def downgrade_():
    with op.batch_alter_table('mentorship_question', schema=None) as batch_op:
        batch_op.drop_index('ix_mentorship_question_program_role')

    op.drop_table('mentorship_question')
    op.drop_table('mentorship_program_language')
    op.drop_table('mentorship_program_capacity')
    with op.batch_alter_table('mentorship_application', schema=None) as batch_op:
        batch_op.drop_index('ix_mentorship_application_applicant')

    op.drop_table('mentorship_application')
    with op.batch_alter_table('mentorship_program', schema=None) as batch_op:
        batch_op.drop_index('ix_mentorship_program_organization')

    op.drop_table('mentorship_program')
    with op.batch_alter_table('statistic', schema=None) as batch_op:
        batch_op.drop_index('ix_statistic_lookup')
        batch_op.drop_index('ix_statistic_item')

    op.drop_table('statistic')


def upgrade_lets_connect():
    pass


def downgrade_lets_connect():
    pass

