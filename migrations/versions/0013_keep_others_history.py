"""Deleting an account keeps other people's history: a message log row survives its recipient.

``message_log`` is the sender's record of what they sent. Its recipient deleting their account
used to delete it (ON DELETE CASCADE); now the row stays, the link goes (SET NULL) and the
account deletion erases the stored name (``recipient_username`` may be NULL: "deleted account").

Revision ID: 0118_keep_history
Revises: 0117_connect
Create Date: 2026-12-06 16:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


# revision identifiers, used by Alembic.
revision = '0118_keep_history'
down_revision = '0117_connect'
branch_labels = None
depends_on = None

FK = 'fk_message_log_recipient_id_user'
NAME_TYPE = sa.String(255).with_variant(mysql.VARCHAR(255, collation="utf8mb4_bin"), "mysql", "mariadb")


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def _alter(ondelete, nullable):
    with op.batch_alter_table('message_log', schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_='foreignkey')
        batch_op.alter_column('recipient_username', existing_type=NAME_TYPE, nullable=nullable)
        batch_op.create_foreign_key(FK, 'user', ['recipient_id'], ['id'], ondelete=ondelete)


def upgrade_():
    _alter('SET NULL', True)


def downgrade_():
    log = sa.table('message_log', sa.column('recipient_username', sa.String))
    op.execute(log.update().where(log.c.recipient_username.is_(None)).values(recipient_username=''))
    _alter('CASCADE', False)


def upgrade_lets_connect():
    pass


def downgrade_lets_connect():
    pass
