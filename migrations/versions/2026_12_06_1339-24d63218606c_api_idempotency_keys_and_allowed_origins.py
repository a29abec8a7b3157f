"""api: answers kept for Idempotency-Key retries (a day, per token), and the websites allowed by CORS

A POST with an Idempotency-Key claims a row before its own changes (the unique token and key make
a retry wait for the first request, then replay its answer). Coordinators list the web origins
whose pages may call the API from a browser; none by default.

Revision ID: 24d63218606c
Revises: 5d1c2e8a9f40
Create Date: 2026-12-06 13:39:37.114998

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '24d63218606c'
down_revision = '5d1c2e8a9f40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_allowed_origins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=255), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_api_allowed_origins_added_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_allowed_origins')),
    sa.UniqueConstraint('origin', name=op.f('uq_api_allowed_origins_origin'))
    )
    op.create_table('api_idempotent_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('headers', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_api_idempotent_requests_token_id_api_tokens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotent_requests')),
    sa.UniqueConstraint('token_id', 'key', name='uq_api_idempotent_requests_token_key')
    )
    with op.batch_alter_table('api_idempotent_requests', schema=None) as batch_op:
        batch_op.create_index('ix_api_idempotent_requests_created_at', ['created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('api_idempotent_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_api_idempotent_requests_created_at')

    op.drop_table('api_idempotent_requests')
    op.drop_table('api_allowed_origins')
