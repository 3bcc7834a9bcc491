"""Shared rate-limit counters and job outages.

- ``rate_counter``: hits per limit key and fixed time window, counted with an atomic upsert so
  every worker process and replica shares one count (capx.support.ratelimit.SharedLimit).
- ``job_outage``: a scheduled job's remote service is failing; the job alerts once per outage
  (capx.services.job_outages).

Revision ID: 0116_hardening
Revises: 0115_import
Create Date: 2026-12-06 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0116_hardening'
down_revision = '0115_import'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_():
    op.create_table('rate_counter',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('window_start', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'window_start', name=op.f('pk_rate_counter')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('rate_counter', schema=None) as batch_op:
        batch_op.create_index('ix_rate_counter_expires_at', ['expires_at'], unique=False)
    op.create_table('job_outage',
    sa.Column('job', sa.String(length=40), nullable=False),
    sa.Column('since', sa.DateTime(), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(), nullable=False),
    sa.Column('failed_runs', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('job', name=op.f('pk_job_outage')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )


def downgrade_():
    op.drop_table('job_outage')
    op.drop_table('rate_counter')


def upgrade_lets_connect():
    pass


def downgrade_lets_connect():
    pass
