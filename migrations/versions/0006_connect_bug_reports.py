"""Bug reports (issue 7): what users report to the team, with the staff triage.

Revision ID: 0107_connect
Revises: 0108_mentorship
Create Date: 2026-11-21 22:08:42.024538

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0107_connect'
down_revision = '0108_mentorship'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_():
    op.create_table('bug_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('type', sa.Enum('error', 'feature', 'improvement', 'test-case', name='bug_report_type', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status', sa.Enum('new', 'in-progress', 'done', 'wont-fix', 'duplicate', name='bug_report_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('staff_reply', sa.Text(), nullable=True),
    sa.Column('triaged_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['reporter_id'], ['user.id'], name=op.f('fk_bug_report_reporter_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['triaged_by_id'], ['user.id'], name=op.f('fk_bug_report_triaged_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bug_report')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('bug_report', schema=None) as batch_op:
        batch_op.create_index('ix_bug_report_reporter_created', ['reporter_id', 'created_at'], unique=False)
        batch_op.create_index('ix_bug_report_status_created', ['status', 'created_at'], unique=False)



def downgrade_():
    with op.batch_alter_table('bug_report', schema=None) as batch_op:
        batch_op.drop_index('ix_bug_report_status_created')
        batch_op.drop_index('ix_bug_report_reporter_created')

    op.drop_table('bug_report')


def upgrade_lets_connect():
    pass  # nothing in the Let's Connect database


def downgrade_lets_connect():
    pass

