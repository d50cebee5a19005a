"""Results snapshots: each build of the published benchmark tables (data version,
methodology version, status, who built it and when) and its tables, one row per filter
and table name with the table as compressed JSON.

Written by hand in the style of 0005: plain ``DateTime(timezone=True)`` instead of the
app's type, the CHECK on ``status`` and the partial unique index that lets only one
snapshot be ``building`` at a time (autogenerate sees neither).

Revision ID: 0008_results_snapshots
Revises: 0007_response_scores
Create Date: 2026-12-08 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_results_snapshots'
down_revision = '0007_response_scores'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('results_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('data_version', sa.String(length=200), nullable=False),
    sa.Column('methodology_version', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('built_by', sa.String(length=200), nullable=False),
    sa.Column('tables', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('building', 'complete', 'failed')", name=op.f('ck_results_snapshots_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_results_snapshots'))
    )
    op.create_index('uq_results_snapshots_building', 'results_snapshots', ['status'],
                    unique=True, sqlite_where=sa.text("status = 'building'"),
                    postgresql_where=sa.text("status = 'building'"))
    op.create_table('results_snapshot_tables',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('filter', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['results_snapshots.id'], name=op.f('fk_results_snapshot_tables_snapshot_id_results_snapshots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('snapshot_id', 'filter', 'name', name=op.f('pk_results_snapshot_tables'))
    )


def downgrade():
    op.drop_table('results_snapshot_tables')
    op.drop_index('uq_results_snapshots_building', table_name='results_snapshots')
    op.drop_table('results_snapshots')
