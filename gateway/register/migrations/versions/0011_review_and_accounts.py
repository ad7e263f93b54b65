"""The review queue (each document's lowest unconfirmed confidence) and failed logins kept for throttling.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# As gateway/register/review.py had them when this migration was written (a migration never imports app code).
REVIEW_FIELDS = ("code_number", "code_notation", "issued_date", "organ_name", "type_name", "subject",
                 "signer_name", "signer_position", "place", "addressees", "to_places")
EXPECTED_FIELDS = ("code_number", "issued_date", "organ_name", "subject")


def _review_confidence(sources: dict) -> float | None:
    lowest = None
    for name in REVIEW_FIELDS:
        source = sources.get(name)
        if not isinstance(source, dict):
            if name not in EXPECTED_FIELDS:
                continue
            confidence = 0.0
        elif source.get("source") == "manual" or source.get("confirmed_by"):
            continue
        else:
            try:
                confidence = float(source.get("confidence", 0.0))
            except (TypeError, ValueError):
                confidence = 0.0
        lowest = confidence if lowest is None else min(lowest, confidence)
    return lowest


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("review_confidence", sa.Float(), nullable=True))
    op.create_index("ix_documents_review_confidence", "documents", ["review_confidence"])
    conn = op.get_bind()
    documents = sa.table("documents", sa.column("id", sa.Integer), sa.column("field_sources", sa.JSON),
                         sa.column("review_confidence", sa.Float))
    last = 0
    while True:  # in batches: a large register is not read into memory at once
        rows = conn.execute(sa.select(documents.c.id, documents.c.field_sources).where(documents.c.id > last)
                            .order_by(documents.c.id).limit(1000)).all()
        if not rows:
            break
        for row in rows:
            sources = row.field_sources if isinstance(row.field_sources, dict) else json.loads(row.field_sources or "{}")
            conn.execute(documents.update().where(documents.c.id == row.id)
                         .values(review_confidence=_review_confidence(sources or {})))
        last = rows[-1].id
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_at", "login_failures", ["at"])
    op.create_index("ix_login_failures_username", "login_failures", ["username", "at"])
    op.create_index("ix_login_failures_address", "login_failures", ["address", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_address", table_name="login_failures")
    op.drop_index("ix_login_failures_username", table_name="login_failures")
    op.drop_index("ix_login_failures_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_index("ix_documents_review_confidence", table_name="documents")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("review_confidence")
