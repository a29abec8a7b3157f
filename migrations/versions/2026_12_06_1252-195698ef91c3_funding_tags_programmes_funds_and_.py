"""funding tags: programmes, funds and grants, their members, and tagged listings and exchanges

Revision ID: 195698ef91c3
Revises: 24d63218606c
Create Date: 2026-12-06 12:52:12.609100

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '195698ef91c3'
down_revision = '24d63218606c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('funding_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('funder', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('open_to_all', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('programme', 'fund', 'grant')", name=op.f('ck_funding_tags_kind_known')),
    sa.CheckConstraint('ends_on IS NULL OR ends_on >= starts_on', name=op.f('ck_funding_tags_dates_ordered')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_funding_tags_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_funding_tags_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funding_tags')),
    sa.UniqueConstraint('code', name=op.f('uq_funding_tags_code'))
    )
    op.create_table('funding_tag_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_funding_tag_members_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_funding_tag_members_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['funding_tags.id'], name=op.f('fk_funding_tag_members_tag_id_funding_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funding_tag_members')),
    sa.UniqueConstraint('tag_id', 'member_id', name=op.f('uq_funding_tag_members_tag_id_member_id'))
    )
    with op.batch_alter_table('funding_tag_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funding_tag_members_member_id'), ['member_id'], unique=False)

    op.create_table('exchange_funding_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exchange_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('tagged_at', sa.DateTime(), nullable=False),
    sa.Column('tagged_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchanges.id'], name=op.f('fk_exchange_funding_tags_exchange_id_exchanges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['funding_tags.id'], name=op.f('fk_exchange_funding_tags_tag_id_funding_tags'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tagged_by_id'], ['users.id'], name=op.f('fk_exchange_funding_tags_tagged_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_funding_tags')),
    sa.UniqueConstraint('exchange_id', 'tag_id', name=op.f('uq_exchange_funding_tags_exchange_id_tag_id'))
    )
    with op.batch_alter_table('exchange_funding_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_funding_tags_tag_id'), ['tag_id'], unique=False)

    op.create_table('listing_funding_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('tagged_at', sa.DateTime(), nullable=False),
    sa.Column('tagged_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_listing_funding_tags_listing_id_listings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['funding_tags.id'], name=op.f('fk_listing_funding_tags_tag_id_funding_tags'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tagged_by_id'], ['users.id'], name=op.f('fk_listing_funding_tags_tagged_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_funding_tags')),
    sa.UniqueConstraint('listing_id', 'tag_id', name=op.f('uq_listing_funding_tags_listing_id_tag_id'))
    )
    with op.batch_alter_table('listing_funding_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_funding_tags_tag_id'), ['tag_id'], unique=False)



def downgrade():
    with op.batch_alter_table('listing_funding_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_funding_tags_tag_id'))

    op.drop_table('listing_funding_tags')
    with op.batch_alter_table('exchange_funding_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_funding_tags_tag_id'))

    op.drop_table('exchange_funding_tags')
    with op.batch_alter_table('funding_tag_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funding_tag_members_member_id'))

    op.drop_table('funding_tag_members')
    op.drop_table('funding_tags')
