"""OCR jobs: a row per scanned PDF attachment whose pages registration did not read in full, queued in the
registering transaction and worked through a few pages at a time by idle workers.

Each chunk is claimed under a lease; its text is appended only while the lease is still the claimer's, so a
chunk taken over by another worker after the first stalled is never written twice. The OCR itself runs
outside the register (gateway.runtime.ocr_backfill); the register keeps the jobs, appends the text to the
attachment and the document's search index, and audits the completion.
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

LEASE_SECONDS = 300.0  # a chunk not settled by then belonged to a worker that died: it is taken again


@dataclass(frozen=True)
class ClaimedJob:
    """A chunk of a job one worker has taken: which attachment (and its blob), from which page, until when."""

    id: int
    attachment_id: int
    document_id: int
    sha256: str
    next_page: int
    lease_until: dt.datetime


def queue_jobs(conn: sa.Connection, document_id: int) -> int:
    """A pending job for every PDF attachment of the document with pages that have no text layer."""
    rows = conn.execute(
        sa.select(Attachment.id, Attachment.extract_status, Attachment.extract_detail)
        .where(Attachment.document_id == document_id, Attachment.sniffed_type == "pdf")
    ).all()
    now = dt.datetime.now(dt.timezone.utc)
    jobs = [dict(attachment_id=row.id, document_id=document_id, state="pending", created_at=now, pages_read=0,
                 next_page=0, detail="") for row in rows
            if row.extract_status == "empty" or "no text layer" in (row.extract_detail or "")]
    if jobs:
        conn.execute(OcrJob.__table__.insert(), jobs)
    return len(jobs)


def _claimable(now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.or_(OcrJob.state == "pending", sa.and_(OcrJob.state == "running", OcrJob.lease_until < now))


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

    def claim(self, lease_seconds: float = LEASE_SECONDS) -> ClaimedJob | None:
        """Take the next chunk of the oldest waiting job; two workers never hold the same job at once."""
        now = dt.datetime.now(dt.timezone.utc)
        lease = now + dt.timedelta(seconds=lease_seconds)
        with self.db.transaction() as conn:
            for _ in range(5):
                row = conn.execute(
                    sa.select(OcrJob.id, OcrJob.attachment_id, OcrJob.document_id, OcrJob.next_page,
                              Attachment.sha256)
                    .join(Attachment, Attachment.id == OcrJob.attachment_id)
                    .where(_claimable(now)).order_by(OcrJob.id).limit(1)
                ).first()
                if row is None:
                    return None
                taken = conn.execute(sa.update(OcrJob).where(OcrJob.id == row.id, _claimable(now)).values(
                    state="running", started_at=sa.func.coalesce(OcrJob.started_at, now), lease_until=lease)).rowcount
                if taken == 1:
                    return ClaimedJob(row.id, row.attachment_id, row.document_id, row.sha256, row.next_page, lease)
        return None

    def fail(self, job: ClaimedJob, detail: str) -> None:
        """The job cannot be done (a broken file, a page that kills the reader): it is not tried again."""
        with self.db.transaction() as conn:
            conn.execute(sa.update(OcrJob).where(OcrJob.id == job.id, OcrJob.lease_until == job.lease_until).values(
                state="failed", finished_at=dt.datetime.now(dt.timezone.utc), lease_until=None,
                detail=detail[:2000]))

    def progress(self, job: ClaimedJob, text: str, pages: int, next_page: int, finished: bool) -> bool:
        """Append one chunk's text to the attachment and the document's index, and move the job on (done when
        ``finished``, audited then). False, and nothing written, when the lease was lost meanwhile."""
        now = dt.datetime.now(dt.timezone.utc)
        with self.db.transaction() as conn:
            held = conn.execute(sa.select(OcrJob.pages_read, OcrJob.started_at).where(
                OcrJob.id == job.id, OcrJob.state == "running", OcrJob.lease_until == job.lease_until)).first()
            if held is None:
                return False
            if text:
                old = conn.scalar(sa.select(Attachment.text).where(Attachment.id == job.attachment_id)) or ""
                conn.execute(sa.update(Attachment).where(Attachment.id == job.attachment_id)
                             .values(text=(old + "\n\f\n" + text).strip()))
                add_to_index(conn, self.searcher, job.document_id, text)
            read = held.pages_read + pages
            values = dict(pages_read=read, next_page=next_page, lease_until=None,
                          state="done" if finished else "pending")
            if finished:
                seconds = (now - held.started_at).total_seconds() if held.started_at else 0.0
                values.update(finished_at=now, detail=f"{read} pages in {seconds:.1f} s")
            conn.execute(sa.update(OcrJob).where(OcrJob.id == job.id).values(**values))
            if finished:  # the attachment's text as the search index now holds it, for "N trang, M ký tự"
                characters = len(conn.scalar(sa.select(Attachment.text).where(Attachment.id == job.attachment_id))
                                 or "")
                record_audit(conn, "ocr-completed", document_id=job.document_id,
                             detail={"attachment_id": job.attachment_id, "pages": read, "characters": characters})
        return True

    def pending_count(self) -> int:
        """Jobs not yet done (pending or running), for status displays."""
        with self.db.reading() as conn:
            return conn.scalar(sa.select(sa.func.count(OcrJob.id))
                               .where(OcrJob.state.in_(("pending", "running")))) or 0
