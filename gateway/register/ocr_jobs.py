"""OCR jobs: a row per scanned PDF attachment whose pages registration did not read in full, queued in the
registering transaction, claimed by one worker at a time, and settled with the text it read.

The OCR itself runs outside the register (gateway.runtime.ocr_backfill); the register only keeps the jobs,
appends the text to the attachment and the document's search index, and audits it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from gateway.register.audit import record_audit
from gateway.register.db import Database
from gateway.register.index import add_to_index
from gateway.register.models import Attachment, OcrJob
from gateway.register.search import Searcher

STALE_SECONDS = 900  # a job "running" this long belonged to a worker that died: it is taken again


@dataclass(frozen=True)
class ClaimedJob:
    """A job one worker has taken: which attachment (and its blob) of which document."""

    id: int
    attachment_id: int
    document_id: int
    sha256: str


def queue_jobs(conn: sa.Connection, document_id: int) -> int:
    """A pending job for every PDF attachment of the document with pages that have no text layer."""
    rows = conn.execute(
        sa.select(Attachment.id, Attachment.extract_status, Attachment.extract_detail)
        .where(Attachment.document_id == document_id, Attachment.sniffed_type == "pdf")
    ).all()
    now = dt.datetime.now(dt.timezone.utc)
    jobs = [dict(attachment_id=row.id, document_id=document_id, state="pending", created_at=now, pages_read=0,
                 detail="") for row in rows
            if row.extract_status == "empty" or "no text layer" in (row.extract_detail or "")]
    if jobs:
        conn.execute(OcrJob.__table__.insert(), jobs)
    return len(jobs)


def _claimable(now: dt.datetime) -> sa.ColumnElement[bool]:
    stale = now - dt.timedelta(seconds=STALE_SECONDS)
    return sa.or_(OcrJob.state == "pending", sa.and_(OcrJob.state == "running", OcrJob.started_at < stale))


class OcrJobs:
    """The OCR job rows."""

    def __init__(self, db: Database, searcher: Searcher) -> None:
        self.db = db
        self.searcher = searcher

    def any_waiting(self) -> bool:
        """Whether a job waits (a read: idle workers must not take the write lock to look)."""
        with self.db.reading() as conn:
            return conn.scalar(sa.select(OcrJob.id).where(_claimable(dt.datetime.now(dt.timezone.utc))).limit(1)) \
                is not None

    def claim(self) -> ClaimedJob | None:
        """Take the oldest pending (or stale running) job; two workers never take the same one."""
        now = dt.datetime.now(dt.timezone.utc)
        with self.db.transaction() as conn:
            for _ in range(5):
                row = conn.execute(
                    sa.select(OcrJob.id, OcrJob.attachment_id, OcrJob.document_id, Attachment.sha256)
                    .join(Attachment, Attachment.id == OcrJob.attachment_id)
                    .where(_claimable(now)).order_by(OcrJob.id).limit(1)
                ).first()
                if row is None:
                    return None
                taken = conn.execute(sa.update(OcrJob).where(OcrJob.id == row.id, _claimable(now))
                                     .values(state="running", started_at=now)).rowcount
                if taken == 1:
                    return ClaimedJob(row.id, row.attachment_id, row.document_id, row.sha256)
        return None

    def fail(self, job: ClaimedJob, detail: str) -> None:
        """The job could not be done (a broken file): it is not tried again."""
        with self.db.transaction() as conn:
            conn.execute(sa.update(OcrJob).where(OcrJob.id == job.id).values(
                state="failed", finished_at=dt.datetime.now(dt.timezone.utc), pages_read=0, detail=detail[:2000]))

    def complete(self, job: ClaimedJob, text: str, pages: int, seconds: float) -> None:
        """Append the text read to the attachment and the document's index; done, and audited."""
        with self.db.transaction() as conn:
            if text:
                old = conn.scalar(sa.select(Attachment.text).where(Attachment.id == job.attachment_id)) or ""
                conn.execute(sa.update(Attachment).where(Attachment.id == job.attachment_id)
                             .values(text=(old + "\n\f\n" + text).strip()))
                add_to_index(conn, self.searcher, job.document_id, text)
            conn.execute(sa.update(OcrJob).where(OcrJob.id == job.id).values(
                state="done", finished_at=dt.datetime.now(dt.timezone.utc), pages_read=pages,
                detail=f"{pages} pages in {seconds:.1f} s"))
            record_audit(conn, "ocr-completed", document_id=job.document_id,
                         detail={"attachment_id": job.attachment_id, "pages": pages, "characters": len(text)})

    def pending_count(self) -> int:
        """Jobs not yet done (pending or running), for status displays."""
        with self.db.reading() as conn:
            return conn.scalar(sa.select(sa.func.count(OcrJob.id))
                               .where(OcrJob.state.in_(("pending", "running")))) or 0
