"""compliance records count people; DBS data minimised

compliance_records.people: how many people a DBS record covers (a need for six checked
volunteers is met only by checks that cover six); existing DBS records cover one.

DBS data beyond what the check needs goes: every stored certificate number is removed (no install
has documented a need for them; one that does sets DBS_CERTIFICATE_NEED and enters them again),
and a holder that is not a role becomes initials ("Jane Smith" -> "J.S.", "Jane" -> "J."). A holder
is taken for a role when one of its words is a role word below ("Volunteer driver" stays).
The downgrade cannot bring back what was removed.

Revision ID: bb2b9e909e56
Revises: 0b86794a22b6
Create Date: 2026-12-06 11:02:05.423300

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bb2b9e909e56'
down_revision = '0b86794a22b6'
branch_labels = None
depends_on = None

ROLE_WORDS = {
    "volunteer", "volunteers", "coordinator", "driver", "drivers", "worker", "workers", "leader", "leaders",
    "manager", "staff", "cook", "cooks", "trustee", "trustees", "helper", "helpers", "steward", "stewards",
    "chair", "secretary", "treasurer", "teacher", "teachers", "assistant", "assistants", "officer", "admin",
    "caretaker", "mentor", "mentors", "tutor", "tutors", "coach", "coaches", "befriender", "befrienders",
    "team", "crew", "kitchen", "youth", "minibus", "warden", "lead", "support", "supervisor", "receptionist",
}


def as_role_or_initials(holder: str) -> str:
    words = re.findall(r"[^\W\d_]+(?:['-][^\W\d_]+)*", holder or "")
    if not words or any(word.lower() in ROLE_WORDS for word in words):
        return (holder or "Volunteer").strip()[:120] or "Volunteer"
    return "".join(word[0].upper() + "." for word in words)[:120]


def upgrade():
    with op.batch_alter_table('compliance_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('people', sa.Integer(), nullable=True))

    connection = op.get_bind()
    records = sa.table('compliance_records', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                       sa.column('holder', sa.String), sa.column('people', sa.Integer),
                       sa.column('certificate_number', sa.String))
    for record_id, holder in connection.execute(sa.select(records.c.id, records.c.holder)
                                                .where(records.c.kind == 'dbs')).all():
        connection.execute(records.update().where(records.c.id == record_id)
                           .values(people=1, holder=as_role_or_initials(holder)))
    connection.execute(records.update().values(certificate_number=None))

    with op.batch_alter_table('compliance_records', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_compliance_records_dbs_counts_people'),
                                         "(kind = 'dbs') = (people IS NOT NULL)")
        batch_op.create_check_constraint(op.f('ck_compliance_records_people_range'),
                                         "people IS NULL OR people BETWEEN 1 AND 999")
        batch_op.create_check_constraint(op.f('ck_compliance_records_certificate_only_for_dbs'),
                                         "certificate_number IS NULL OR kind = 'dbs'")


def downgrade():
    with op.batch_alter_table('compliance_records', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_compliance_records_certificate_only_for_dbs'), type_='check')
        batch_op.drop_constraint(op.f('ck_compliance_records_people_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_compliance_records_dbs_counts_people'), type_='check')
        batch_op.drop_column('people')
