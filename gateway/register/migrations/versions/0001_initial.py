"""The first schema: registers, counters, messages, arrivals, documents, attachments, audit, search index.

Revision ID: 0001
Revises: 
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('message_id_header', sa.Text(), nullable=True),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('from_addr', sa.Text(), nullable=False),
    sa.Column('from_name', sa.Text(), nullable=False),
    sa.Column('to_addrs', sa.Text(), nullable=False),
    sa.Column('date_header', sa.DateTime(timezone=True), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('raw_blob', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('mail_from', sa.Text(), nullable=False),
    sa.Column('rcpt_tos', sa.Text(), nullable=False),
    sa.Column('peer', sa.Text(), nullable=False),
    sa.Column('helo', sa.Text(), nullable=False),
    sa.Column('source_ref', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('defects', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('message_id_header', name=op.f('uq_messages_message_id_header')),
    sa.UniqueConstraint('sha256', name=op.f('uq_messages_sha256'))
    )
    op.create_table('registers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('secret', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registers')),
    sa.UniqueConstraint('code', name=op.f('uq_registers_code'))
    )
    op.create_table('arrivals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spool_id', sa.String(length=200), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('duplicate_reason', sa.String(length=16), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('envelope', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_arrivals_message_id_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arrivals')),
    sa.UniqueConstraint('spool_id', name=op.f('uq_arrivals_spool_id'))
    )
    op.create_index('ix_arrivals_message_id', 'arrivals', ['message_id'])

    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('register_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('arrival_number', sa.Integer(), nullable=False),
    sa.Column('arrival_date', sa.Date(), nullable=False),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('code_number', sa.Text(), nullable=False),
    sa.Column('code_notation', sa.Text(), nullable=False),
    sa.Column('issued_date', sa.Date(), nullable=True),
    sa.Column('place', sa.Text(), nullable=False),
    sa.Column('organ_name', sa.Text(), nullable=False),
    sa.Column('organ_id', sa.Text(), nullable=False),
    sa.Column('type_name', sa.Text(), nullable=False),
    sa.Column('type_code', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('signer_position', sa.Text(), nullable=False),
    sa.Column('signer_name', sa.Text(), nullable=False),
    sa.Column('urgency', sa.Integer(), nullable=False),
    sa.Column('secrecy', sa.Integer(), nullable=False),
    sa.Column('page_amount', sa.Integer(), nullable=True),
    sa.Column('to_places', sa.Text(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('field_sources', sa.JSON(), nullable=False),
    sa.Column('possible_duplicate_of', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_documents_message_id_messages')),
    sa.ForeignKeyConstraint(['possible_duplicate_of'], ['documents.id'], name=op.f('fk_documents_possible_duplicate_of_documents')),
    sa.ForeignKeyConstraint(['register_id'], ['registers.id'], name=op.f('fk_documents_register_id_registers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('register_id', 'year', 'arrival_number', name='uq_documents_number')
    )
    op.create_index('ix_documents_arrival_date', 'documents', ['arrival_date'])
    op.create_index('ix_documents_dedup', 'documents', ['code_number', 'code_notation', 'year'])
    op.create_index('ix_documents_message_id', 'documents', ['message_id'])

    op.create_table('register_counters',
    sa.Column('register_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['register_id'], ['registers.id'], name=op.f('fk_register_counters_register_id_registers')),
    sa.PrimaryKeyConstraint('register_id', 'year', name=op.f('pk_register_counters'))
    )
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('part_index', sa.Integer(), nullable=True),
    sa.Column('member_path', sa.Text(), nullable=False),
    sa.Column('filename', sa.Text(), nullable=False),
    sa.Column('sniffed_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('extract_status', sa.String(length=16), nullable=False),
    sa.Column('extract_detail', sa.Text(), nullable=False),
    sa.Column('page_count', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_attachments_document_id_documents')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_attachments_message_id_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    op.create_index('ix_attachments_document_id', 'attachments', ['document_id'])
    op.create_index('ix_attachments_message_id', 'attachments', ['message_id'])

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_audit_events_document_id_documents')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_audit_events_message_id_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    op.create_index('ix_audit_events_document_id', 'audit_events', ['document_id'])
    op.create_index('ix_audit_events_message_id', 'audit_events', ['message_id'])

    registers = sa.table(
        'registers', sa.column('code', sa.String), sa.column('name', sa.Text), sa.column('secret', sa.Boolean)
    )
    op.bulk_insert(registers, [
        {'code': 'den', 'name': 'Sổ đăng ký văn bản đến', 'secret': False},
        {'code': 'den-mat', 'name': 'Sổ đăng ký văn bản đến (mật)', 'secret': True},
    ])
    _create_search_index(op.get_bind().dialect.name)


def downgrade() -> None:
    op.execute('DROP TABLE search_index')
    op.drop_index('ix_audit_events_message_id', table_name='audit_events')
    op.drop_index('ix_audit_events_document_id', table_name='audit_events')

    op.drop_table('audit_events')
    op.drop_index('ix_attachments_message_id', table_name='attachments')
    op.drop_index('ix_attachments_document_id', table_name='attachments')

    op.drop_table('attachments')
    op.drop_table('register_counters')
    op.drop_index('ix_documents_message_id', table_name='documents')
    op.drop_index('ix_documents_dedup', table_name='documents')
    op.drop_index('ix_documents_arrival_date', table_name='documents')

    op.drop_table('documents')
    op.drop_index('ix_arrivals_message_id', table_name='arrivals')

    op.drop_table('arrivals')
    op.drop_table('registers')
    op.drop_table('messages')


def _create_search_index(dialect: str) -> None:
    """One row per document: the exact (diacritics kept) and folded texts, rowid/document_id = documents.id."""
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_index USING fts5("
            "exact, folded, tokenize = 'unicode61 remove_diacritics 0')"
        )
        return
    op.execute(
        "CREATE TABLE search_index ("
        " document_id integer PRIMARY KEY REFERENCES documents(id),"
        " exact text NOT NULL,"
        " folded text NOT NULL,"
        " exact_tsv tsvector NOT NULL,"
        " folded_tsv tsvector NOT NULL)"
    )
    op.execute("CREATE INDEX ix_search_index_folded_tsv ON search_index USING gin (folded_tsv)")
    op.execute("CREATE INDEX ix_search_index_exact_tsv ON search_index USING gin (exact_tsv)")
