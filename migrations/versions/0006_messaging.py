"""Messaging: on each message, the run that claimed it for sending and when (so two copies
of ``flask messages send-due`` never send one message twice, and a run that died can be
recovered), and how it went out (the embedded outbox or GOV.UK Notify).

Written by hand in the style of 0005: plain ``DateTime(timezone=True)`` instead of the
app's type, and the CHECK on ``sent_via`` (autogenerate does not see CHECK constraints).

Revision ID: 0006_messaging
Revises: 0005_intake
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_messaging'
down_revision = '0005_intake'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sent_via', sa.String(length=6), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_messages_sent_via'),
            "sent_via IS NULL OR sent_via IN ('outbox', 'notify')")


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_messages_sent_via'), type_='check')
        batch_op.drop_column('sent_via')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claim_id')
