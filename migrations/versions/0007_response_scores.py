"""Response scores: each submitted response's respondent scores per instrument version
(score, n scored, status; the variable measures and item scores as JSON, JSONB on
PostgreSQL), with the methodology version and time they were scored.

Written by hand in the style of 0005: plain ``DateTime(timezone=True)`` instead of the
app's type, and the CHECK on ``status`` (autogenerate does not see CHECK constraints).
Existing submitted responses are scored by ``flask results rescore``, not here: a
migration must not depend on the scoring code of the day.

Revision ID: 0007_response_scores
Revises: 0006_messaging
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0007_response_scores'
down_revision = '0006_messaging'
branch_labels = None
depends_on = None

MEASURES = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade():
    op.create_table('response_scores',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.String(length=60), nullable=False),
    sa.Column('instrument_version', sa.String(length=20), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('n_scored', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=15), nullable=False),
    sa.Column('measures', MEASURES, nullable=False),
    sa.Column('item_scores', MEASURES, nullable=False),
    sa.Column('methodology_version', sa.String(length=20), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('scored', 'too_few_answers')", name=op.f('ck_response_scores_status')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_response_scores_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'instrument_id', 'instrument_version', name=op.f('pk_response_scores'))
    )


def downgrade():
    op.drop_table('response_scores')
