"""Moving from the previous platform: the shared badge model, partners, and what the import keeps.

- ``badge`` holds every badge (CapX's internal ones, external and partner badges); ``user_badge``
  points at it and stores progress as 0-100 (earned at 100). CapX's six built-in badges become
  badge rows 1-6 here, and existing user badges are converted (a raw count becomes a share of
  the threshold; earned badges become 100).
- ``organization.is_partner`` and ``partner_member``.
- ``user.central_id`` may be NULL (imported accounts Meta-Wiki could not identify: locked).
- ``kept_profile_data``, event Wikidata/OpenStreetMap ids, project descriptions, mentorship
  question field names, the old envelope of imported applications, ``imported_row``.

Revision ID: 0115_import
Revises: 0114_name_grams
Create Date: 2026-12-06 13:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0115_import'
down_revision = '0114_name_grams'
branch_labels = None
depends_on = None

#: A frozen copy of the built-in badges (capx/data/badges.json may change; this migration must not).
BUILT_IN = (
    (1, "profile-complete", "Complete profile", "profile-sections", 9),
    (2, "capacity-sharer", "Capacity sharer", "capacities-available", 5),
    (3, "messenger", "Messenger", "messages-sent", 10),
    (4, "organization-manager", "Organization manager", "organizations-managed", 1),
    (5, "wikimedia-veteran", "Wikimedia veteran", "wikimedia-account-years", 5),
    (6, "lets-connect-member", "Let's Connect member", "lets-connect", 1),
)
CHUNK = 10_000


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def _mysql():
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def _user_badge_table(name):
    return op.create_table(name,
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('badge_id', sa.Integer(), nullable=False),
    sa.Column('progress', sa.SmallInteger(), nullable=False),
    sa.Column('shown', sa.Boolean(), nullable=False),
    sa.Column('assertion_url', sa.String(length=500), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=True),
    sa.Column('granted_by_hand', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['badge_id'], ['badge.id'], name=op.f('fk_user_badge_badge_id_badge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_badge_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'badge_id', name=op.f('pk_user_badge')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )


def _copy_in_chunks(bind, select, convert, target):
    """Copy rows of ``select`` (ordered by its first two columns) into ``target`` in chunks."""
    rows = bind.execute(select).all()
    for start in range(0, len(rows), CHUNK):
        bind.execute(target.insert(), [convert(row) for row in rows[start:start + CHUNK]])


def upgrade_():
    op.create_table('imported_row',
    sa.Column('model', sa.String(length=60), nullable=False),
    sa.Column('old_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('new_id', sa.BigInteger(), nullable=True),
    sa.Column('merged', sa.Boolean(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('model', 'old_id', name=op.f('pk_imported_row')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    badge = op.create_table('badge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('internal', 'external', 'partner', name='badge_kind', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('image', sa.String(length=500), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('rule', sa.String(length=40), nullable=True),
    sa.Column('threshold', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_badge_organization_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge')),
    sa.UniqueConstraint('code', name=op.f('uq_badge_code')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('badge', schema=None) as batch_op:
        batch_op.create_index('ix_badge_kind', ['kind', 'position'], unique=False)
        batch_op.create_index(batch_op.f('ix_badge_organization_id'), ['organization_id'], unique=False)
    from datetime import datetime, timezone
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    op.bulk_insert(badge, [{"id": id_, "kind": "internal", "code": code, "name": name, "rule": rule,
                            "threshold": threshold, "position": id_ - 1, "created_at": now}
                           for id_, code, name, rule, threshold in BUILT_IN])

    op.create_table('kept_profile_data',
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=True),
    sa.Column('pronoun', sa.String(length=20), nullable=True),
    sa.Column('team', sa.String(length=255), nullable=True),
    sa.Column('contact', sa.JSON(), nullable=True),
    sa.Column('social', sa.JSON(), nullable=True),
    sa.Column('territories', sa.JSON(), nullable=True),
    sa.Column('lets_connect', sa.JSON(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['profile.id'], name=op.f('fk_kept_profile_data_profile_id_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('profile_id', name=op.f('pk_kept_profile_data')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('partner_member',
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_partner_member_organization_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_partner_member_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id', 'user_id', name=op.f('pk_partner_member')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('partner_member', schema=None) as batch_op:
        batch_op.create_index('ix_partner_member_user', ['user_id'], unique=False)

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wikidata_qid', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('openstreetmap_id', sa.String(length=40), nullable=True))

    if _mysql():
        # One statement: the unique key is the only index that starts with program_id, which
        # its foreign key needs, so it cannot be dropped before its replacement exists.
        op.execute("ALTER TABLE mentorship_application "
                   "ADD COLUMN attempt SMALLINT NOT NULL DEFAULT '0', "
                   "ADD COLUMN legacy_envelope TEXT NULL, ADD COLUMN legacy_key_id INTEGER NULL, "
                   "ADD COLUMN legacy_key_fingerprint VARCHAR(12) NULL, "
                   "DROP INDEX uq_mentorship_application_once, "
                   "ADD CONSTRAINT uq_mentorship_application_once UNIQUE (program_id, applicant_id, role, attempt)")
    else:
        with op.batch_alter_table('mentorship_application', schema=None) as batch_op:
            batch_op.add_column(sa.Column('attempt', sa.SmallInteger(), server_default='0', nullable=False))
            batch_op.add_column(sa.Column('legacy_envelope', sa.Text(), nullable=True))
            batch_op.add_column(sa.Column('legacy_key_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('legacy_key_fingerprint', sa.String(length=12), nullable=True))
            batch_op.drop_constraint('uq_mentorship_application_once', type_='unique')
            batch_op.create_unique_constraint('uq_mentorship_application_once',
                                              ['program_id', 'applicant_id', 'role', 'attempt'])

    with op.batch_alter_table('mentorship_question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('field_name', sa.String(length=100), nullable=True))

    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_partner', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('organization_project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=True))

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('central_id', existing_type=sa.BigInteger(), nullable=True)

    # user_badge: a new table, filled from the old one, which then goes.
    with op.batch_alter_table('user_badge', schema=None) as batch_op:
        batch_op.drop_index('ix_user_badge_badge')
    if _mysql():
        # Foreign key names are unique per database on MariaDB: free it for the new table.
        op.drop_constraint('fk_user_badge_user_id_user', 'user_badge', type_='foreignkey')
    op.rename_table('user_badge', 'user_badge_before_0115')
    new = _user_badge_table('user_badge')
    with op.batch_alter_table('user_badge', schema=None) as batch_op:
        batch_op.create_index('ix_user_badge_badge', ['badge_id', 'progress'], unique=False)
    old = sa.table('user_badge_before_0115', sa.column('user_id', sa.Integer), sa.column('badge', sa.String),
                   sa.column('progress', sa.Integer), sa.column('earned_at', sa.DateTime),
                   sa.column('granted_by_hand', sa.Boolean), sa.column('displayed', sa.Boolean),
                   sa.column('updated_at', sa.DateTime))
    rules = {code: (id_, threshold) for id_, code, _name, _rule, threshold in BUILT_IN}

    def convert(row):
        badge_id, threshold = rules[row.badge]
        # Progress was the raw measure; now a share of the threshold, 100 meaning earned.
        progress = 100 if row.earned_at is not None else min(99, (row.progress or 0) * 100 // threshold)
        return {"user_id": row.user_id, "badge_id": badge_id, "progress": progress, "shown": bool(row.displayed),
                "assertion_url": None, "issued_at": row.earned_at, "granted_by_hand": bool(row.granted_by_hand),
                "updated_at": row.updated_at}

    _copy_in_chunks(op.get_bind(), sa.select(old).where(old.c.badge.in_(list(rules))).order_by(old.c.user_id, old.c.badge),
                    convert, new)
    op.drop_table('user_badge_before_0115')


def downgrade_():
    op.rename_table('user_badge', 'user_badge_after_0115')
    if _mysql():
        # Free the names (unique per database on MariaDB); the index goes after its foreign key.
        op.drop_constraint('fk_user_badge_user_id_user', 'user_badge_after_0115', type_='foreignkey')
        op.drop_constraint('fk_user_badge_badge_id_badge', 'user_badge_after_0115', type_='foreignkey')
    with op.batch_alter_table('user_badge_after_0115', schema=None) as batch_op:
        batch_op.drop_index('ix_user_badge_badge')
    old = op.create_table('user_badge',
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
    new = sa.table('user_badge_after_0115', sa.column('user_id', sa.Integer), sa.column('badge_id', sa.Integer),
                   sa.column('progress', sa.Integer), sa.column('issued_at', sa.DateTime),
                   sa.column('granted_by_hand', sa.Boolean), sa.column('shown', sa.Boolean),
                   sa.column('updated_at', sa.DateTime))
    badge = sa.table('badge', sa.column('id', sa.Integer), sa.column('code', sa.String),
                     sa.column('threshold', sa.Integer))
    codes = {code for _id, code, _name, _rule, _threshold in BUILT_IN}

    def convert(row):
        earned = row.progress >= 100
        return {"user_id": row.user_id, "badge": row.code, "progress": row.progress * (row.threshold or 1) // 100,
                "earned_at": (row.issued_at or row.updated_at) if earned else None,
                "granted_by_hand": bool(row.granted_by_hand), "displayed": bool(row.shown), "updated_at": row.updated_at}

    # Only the built-in badges existed before; imported and external ones cannot go back.
    _copy_in_chunks(op.get_bind(), sa.select(new.c.user_id, new.c.progress, new.c.issued_at, new.c.granted_by_hand,
                                             new.c.shown, new.c.updated_at, badge.c.code, badge.c.threshold)
                    .join(badge, badge.c.id == new.c.badge_id).where(badge.c.code.in_(codes))
                    .order_by(new.c.user_id, badge.c.code), convert, old)
    op.drop_table('user_badge_after_0115')

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('central_id', existing_type=sa.BigInteger(), nullable=False)

    with op.batch_alter_table('organization_project', schema=None) as batch_op:
        batch_op.drop_column('description')

    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_column('is_partner')

    with op.batch_alter_table('mentorship_question', schema=None) as batch_op:
        batch_op.drop_column('field_name')

    if _mysql():
        op.execute("DELETE FROM mentorship_application WHERE attempt > 0")
        op.execute("ALTER TABLE mentorship_application "
                   "DROP INDEX uq_mentorship_application_once, "
                   "ADD CONSTRAINT uq_mentorship_application_once UNIQUE (program_id, applicant_id, role), "
                   "DROP COLUMN attempt, DROP COLUMN legacy_envelope, DROP COLUMN legacy_key_id, "
                   "DROP COLUMN legacy_key_fingerprint")
    else:
        op.execute("DELETE FROM mentorship_application WHERE attempt > 0")
        with op.batch_alter_table('mentorship_application', schema=None) as batch_op:
            batch_op.drop_constraint('uq_mentorship_application_once', type_='unique')
            batch_op.create_unique_constraint('uq_mentorship_application_once', ['program_id', 'applicant_id', 'role'])
            batch_op.drop_column('legacy_key_fingerprint')
            batch_op.drop_column('legacy_key_id')
            batch_op.drop_column('legacy_envelope')
            batch_op.drop_column('attempt')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('openstreetmap_id')
        batch_op.drop_column('wikidata_qid')

    # Dropping a table drops its indexes (on MariaDB an index a foreign key needs cannot go first).
    op.drop_table('partner_member')
    op.drop_table('kept_profile_data')
    op.drop_table('badge')
    op.drop_table('imported_row')


def upgrade_lets_connect():
    pass


def downgrade_lets_connect():
    pass
