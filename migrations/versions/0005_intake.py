"""Intake: discharge batches and their issues, integration credentials, survey routes, exclusion rules, local code
mappings, opt-outs; encrypted contact details and the message outbox; each survey's
schedule; and, on transition events, the discharge time, patient key, batch and exclusion.

Drafted by autogenerate and reviewed by hand: plain ``DateTime(timezone=True)`` instead of
the app's type, and the exclusion CHECK (autogenerate does not see CHECK constraints).

Revision ID: 0005_intake
Revises: 0004_comment_follow_ups
Create Date: 2026-12-04 19:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_intake'
down_revision = '0004_comment_follow_ups'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('opt_outs',
    sa.Column('patient_key', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=15), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('link', 'administrator')", name=op.f('ck_opt_outs_source')),
    sa.PrimaryKeyConstraint('patient_key', name=op.f('pk_opt_outs'))
    )
    op.create_table('code_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('value', sa.String(length=60), nullable=False),
    sa.CheckConstraint("kind IN ('site', 'pathway', 'setting', 'died')", name=op.f('ck_code_mappings_kind')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_code_mappings_provider_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_mappings'))
    )
    with op.batch_alter_table('code_mappings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_code_mappings_provider_id'), ['provider_id'], unique=False)

    op.create_table('exclusion_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('pathway_id', sa.Integer(), nullable=True),
    sa.Column('to_setting', sa.String(length=40), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.CheckConstraint('pathway_id IS NOT NULL OR to_setting IS NOT NULL', name=op.f('ck_exclusion_rules_names_something')),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathways.id'], name=op.f('fk_exclusion_rules_pathway_id_pathways')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_exclusion_rules_provider_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exclusion_rules'))
    )
    op.create_table('intake_credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id'], name=op.f('fk_intake_credentials_created_by_id_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_intake_credentials_provider_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_credentials')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_intake_credentials_token_hash'))
    )
    with op.batch_alter_table('intake_credentials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_credentials_provider_id'), ['provider_id'], unique=False)

    op.create_table('intake_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.Column('credential_id', sa.Integer(), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('refusal', sa.String(length=500), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('excluded', sa.Integer(), nullable=False),
    sa.Column('invited', sa.Integer(), nullable=False),
    sa.CheckConstraint("source IN ('csv', 'hl7_file', 'hl7_http', 'hl7_mllp', 'fhir', 'demo')", name=op.f('ck_intake_batches_source')),
    sa.CheckConstraint("status IN ('running', 'complete', 'refused')", name=op.f('ck_intake_batches_status')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_intake_batches_provider_id_organisations')),
    sa.ForeignKeyConstraint(['received_by_id'], ['staff_users.id'], name=op.f('fk_intake_batches_received_by_id_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['credential_id'], ['intake_credentials.id'], name=op.f('fk_intake_batches_credential_id_intake_credentials'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_batches'))
    )
    with op.batch_alter_table('intake_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_batches_sha256'), ['sha256'], unique=False)

    op.create_table('survey_routes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('pathway_id', sa.Integer(), nullable=True),
    sa.Column('care_type', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathways.id'], name=op.f('fk_survey_routes_pathway_id_pathways')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_survey_routes_provider_id_organisations')),
    sa.ForeignKeyConstraint(['site_id'], ['organisations.id'], name=op.f('fk_survey_routes_site_id_organisations')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_routes_survey_id_surveys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_routes'))
    )
    with op.batch_alter_table('survey_routes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_routes_survey_id'), ['survey_id'], unique=False)

    op.create_table('intake_issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=100), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=True),
    sa.Column('value', sa.String(length=100), nullable=True),
    sa.Column('problem', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['intake_batches.id'], name=op.f('fk_intake_issues_batch_id_intake_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_issues'))
    )
    with op.batch_alter_table('intake_issues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_issues_batch_id'), ['batch_id'], unique=False)

    op.create_table('contact_details',
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('link_token', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_contact_details_invitation_id_invitations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('invitation_id', name=op.f('pk_contact_details'))
    )
    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('channel', sa.String(length=5), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('provider_reference', sa.String(length=64), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("channel IN ('sms', 'email')", name=op.f('ck_messages_channel')),
    sa.CheckConstraint("kind IN ('invitation', 'reminder_1', 'reminder_2')", name=op.f('ck_messages_kind')),
    sa.CheckConstraint("status IN ('scheduled', 'sending', 'sent', 'delivered', 'failed', 'cancelled')", name=op.f('ck_messages_status')),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_messages_invitation_id_invitations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('invitation_id', 'kind', name='uq_messages_invitation_kind')
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_invitation_id'), ['invitation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_provider_reference'), ['provider_reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_status'), ['status'], unique=False)

    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_message_hours', sa.Integer(), server_default='24', nullable=False))
        batch_op.add_column(sa.Column('reminder_1_days', sa.Integer(), server_default='4', nullable=True))
        batch_op.add_column(sa.Column('reminder_2_days', sa.Integer(), server_default='10', nullable=True))
        batch_op.add_column(sa.Column('window_days', sa.Integer(), server_default='42', nullable=False))
        batch_op.add_column(sa.Column('resurvey_days', sa.Integer(), server_default='90', nullable=False))

    with op.batch_alter_table('transition_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discharged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('patient_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('batch_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('exclusion_reason', sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_transition_events_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transition_events_patient_key'), ['patient_key'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_transition_events_batch_id_intake_batches'), 'intake_batches', ['batch_id'], ['id'])
        batch_op.create_check_constraint(
            batch_op.f('ck_transition_events_exclusion_reason'),
            "exclusion_reason IS NULL OR exclusion_reason IN ('died', 'under_16', 'opted_out', "
            "'recently_surveyed', 'no_contact', 'excluded_by_rule', 'no_survey')")



def downgrade():
    with op.batch_alter_table('transition_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_transition_events_exclusion_reason'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_transition_events_batch_id_intake_batches'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_transition_events_patient_key'))
        batch_op.drop_index(batch_op.f('ix_transition_events_batch_id'))
        batch_op.drop_column('exclusion_reason')
        batch_op.drop_column('batch_id')
        batch_op.drop_column('patient_key')
        batch_op.drop_column('discharged_at')

    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_column('resurvey_days')
        batch_op.drop_column('window_days')
        batch_op.drop_column('reminder_2_days')
        batch_op.drop_column('reminder_1_days')
        batch_op.drop_column('first_message_hours')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_status'))
        batch_op.drop_index(batch_op.f('ix_messages_provider_reference'))
        batch_op.drop_index(batch_op.f('ix_messages_invitation_id'))
        batch_op.drop_index(batch_op.f('ix_messages_due_at'))

    op.drop_table('messages')
    op.drop_table('contact_details')
    with op.batch_alter_table('intake_issues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_issues_batch_id'))

    op.drop_table('intake_issues')
    with op.batch_alter_table('survey_routes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_routes_survey_id'))

    op.drop_table('survey_routes')
    with op.batch_alter_table('intake_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_batches_sha256'))

    op.drop_table('intake_batches')
    with op.batch_alter_table('intake_credentials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_credentials_provider_id'))

    op.drop_table('intake_credentials')
    op.drop_table('exclusion_rules')
    with op.batch_alter_table('code_mappings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_code_mappings_provider_id'))

    op.drop_table('code_mappings')
    op.drop_table('opt_outs')
