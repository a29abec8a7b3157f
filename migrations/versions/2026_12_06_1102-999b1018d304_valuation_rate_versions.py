"""valuation_rates: versions (series_id, version), so a change of rate is a new version from a date

A rate was changed in place, which silently changed every past report that used it. Now a new
value is a new row starting on a date, with the first version's id in `series_id` and its number
in `version`. Existing rows become first versions, except a rate that continues one ending the
day before under the same name and scope (the National Living Wage each April), which becomes
its next version.

Revision ID: 999b1018d304
Revises: eb468036deac
Create Date: 2026-12-06 11:02:15.837526

"""
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '999b1018d304'
down_revision = 'eb468036deac'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('valuation_rates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    _link_continuations()
    with op.batch_alter_table('valuation_rates', schema=None) as batch_op:
        batch_op.alter_column('version', server_default=None)
        batch_op.create_index(batch_op.f('ix_valuation_rates_series_id'), ['series_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_valuation_rates_series_id_version'), ['series_id', 'version'])
        batch_op.create_foreign_key(batch_op.f('fk_valuation_rates_series_id_valuation_rates'), 'valuation_rates', ['series_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_check_constraint(batch_op.f('ck_valuation_rates_version_positive'), 'version >= 1')
        batch_op.create_check_constraint(batch_op.f('ck_valuation_rates_first_version_starts_series'), '(series_id IS NULL) = (version = 1)')


def _link_continuations():
    """A rate starting the day after another of the same name and scope ends is its next version."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, name, kind, category_id, band, measure_code, valid_from, valid_to FROM valuation_rates "
        "ORDER BY valid_from, id")).all()
    as_day = lambda value: value if isinstance(value, date) else date.fromisoformat(str(value)[:10])  # noqa: E731
    ends: dict[tuple, tuple[int, int, date | None]] = {}  # scope -> (series id, version, last day)
    for row in rows:
        scope = (row.name, row.kind, row.category_id, row.band, row.measure_code)
        found = ends.get(scope)
        if found is not None and found[2] is not None and found[2] + timedelta(days=1) == as_day(row.valid_from):
            series, version = found[0], found[1] + 1
            bind.execute(sa.text("UPDATE valuation_rates SET series_id = :series, version = :version WHERE id = :id"),
                         {"series": series, "version": version, "id": row.id})
        else:
            series, version = row.id, 1
        ends[scope] = (series, version, as_day(row.valid_to) if row.valid_to is not None else None)


def downgrade():
    with op.batch_alter_table('valuation_rates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_valuation_rates_first_version_starts_series'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_valuation_rates_version_positive'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_valuation_rates_series_id_valuation_rates'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_valuation_rates_series_id_version'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_valuation_rates_series_id'))
        batch_op.drop_column('version')
        batch_op.drop_column('series_id')
