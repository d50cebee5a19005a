"""Follow-up notes on flagged comments: every note kept, with who wrote it and when.

A comment had one ``follow_up_note``, which each follow-up overwrote. Notes move to
``comment_follow_ups``, one row per note (an existing note becomes its comment's first
row, written when and by whom the comment was followed up), and the column goes.
``followed_up_at`` and ``followed_up_by_id`` stay: the first follow-up, which closed the
concern. Notes go when their comment goes (CASCADE) and outlive their writer's account
(SET NULL), like flags. Written by hand in the style of the generated revisions.

The notes are read before the column is dropped and written once the new table exists:
on SQLite, batch mode drops a column by copying ``comments`` into a new table and dropping
the old one, and with foreign keys on that drop would cascade to rows already pointing at
it. Downgrading keeps each comment's latest note, which is what the old column held.

Revision ID: 0004_comment_follow_ups
Revises: 0003_comments
Create Date: 2026-12-04 19:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_comment_follow_ups'
down_revision = '0003_comments'
branch_labels = None
depends_on = None

comments = sa.table(
    'comments',
    sa.column('id', sa.Integer()),
    sa.column('updated_at', sa.DateTime(timezone=True)),
    sa.column('followed_up_at', sa.DateTime(timezone=True)),
    sa.column('followed_up_by_id', sa.Integer()),
    sa.column('follow_up_note', sa.String(length=1000)),
)


def upgrade():
    notes = [
        {'comment_id': row.id, 'written_at': row.followed_up_at or row.updated_at,
         'written_by_id': row.followed_up_by_id, 'note': row.follow_up_note}
        for row in op.get_bind().execute(
            sa.select(comments).where(comments.c.follow_up_note.is_not(None))
            .order_by(comments.c.id)
        )
    ]
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('follow_up_note')

    follow_ups = op.create_table('comment_follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_comment_follow_ups_comment_id_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['written_by_id'], ['staff_users.id'], name=op.f('fk_comment_follow_ups_written_by_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_follow_ups'))
    )
    with op.batch_alter_table('comment_follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_follow_ups_comment_id'), ['comment_id'], unique=False)

    if notes:
        op.bulk_insert(follow_ups, notes)


def downgrade():
    follow_ups = sa.table(
        'comment_follow_ups',
        sa.column('id', sa.Integer()),
        sa.column('comment_id', sa.Integer()),
        sa.column('written_at', sa.DateTime(timezone=True)),
        sa.column('note', sa.String(length=1000)),
    )
    latest = {
        row.comment_id: row.note
        for row in op.get_bind().execute(
            sa.select(follow_ups).order_by(follow_ups.c.written_at, follow_ups.c.id)
        )
    }
    with op.batch_alter_table('comment_follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_follow_ups_comment_id'))

    op.drop_table('comment_follow_ups')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_up_note', sa.String(length=1000), nullable=True))

    for comment_id, note in latest.items():
        op.execute(comments.update().where(comments.c.id == comment_id)
                   .values(follow_up_note=note))
