"""case studies: a member's outcome or quote about help in a completed exchange, with the other side's answer

Revision ID: e5cf7189f645
Revises: 8e2aab1af0e3
Create Date: 2026-12-06 13:21:11.259169

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5cf7189f645'
down_revision = '8e2aab1af0e3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_studies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('leg_id', sa.Integer(), nullable=False),
    sa.Column('author_member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.String(length=600), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=True),
    sa.Column('written_at', sa.DateTime(), nullable=False),
    sa.Column('consent', sa.String(length=16), nullable=False),
    sa.Column('consent_by_id', sa.Integer(), nullable=True),
    sa.Column('consent_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("consent IN ('asked', 'given', 'refused', 'withdrawn')", name=op.f('ck_case_studies_consent_known')),
    sa.CheckConstraint("kind IN ('outcome', 'quote')", name=op.f('ck_case_studies_kind_known')),
    sa.ForeignKeyConstraint(['author_member_id'], ['members.id'], name=op.f('fk_case_studies_author_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consent_by_id'], ['users.id'], name=op.f('fk_case_studies_consent_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['leg_id'], ['legs.id'], name=op.f('fk_case_studies_leg_id_legs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['written_by_id'], ['users.id'], name=op.f('fk_case_studies_written_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_studies')),
    sa.UniqueConstraint('leg_id', 'author_member_id', name=op.f('uq_case_studies_leg_id_author_member_id'))
    )
    with op.batch_alter_table('case_studies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_studies_author_member_id'), ['author_member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_studies_leg_id'), ['leg_id'], unique=False)



def downgrade():
    with op.batch_alter_table('case_studies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_studies_leg_id'))
        batch_op.drop_index(batch_op.f('ix_case_studies_author_member_id'))

    op.drop_table('case_studies')
