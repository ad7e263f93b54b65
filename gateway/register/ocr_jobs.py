"""OCR of the scanned pages registration did not wait for: queued at registration, drained by idle workers.

Registration OCRs only the regions that hold fields (page-1 header, signer pages). The full text of every
page without a text layer is read afterwards, one attachment per job; the text is appended to the
attachment and joins the document's search index. Secret documents get no job (their text is never indexed).
"""

from __future__ import annotations

import datetime as dt
import logging
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.core.config import UnderstandConfig
from gateway.core.text import canonical_tones, fold
from gateway.register import db
from gateway.register.audit import record_audit
from gateway.register.models import Attachment, OcrJob

log = logging.getLogger(__name__)

STALE_SECONDS = 900  # a job "running" this long belonged to a worker that died: it is taken again


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


def run_next(register, config: UnderstandConfig, max_pages: int = 200) -> bool:
    """Claim and run one pending OCR job; False when there was none (or OCR is off or not installed)."""
    from gateway.understand import ocr

    if not config.ocr or not ocr.available():
        return False
    if not _any_waiting(register.engine):  # a read: idle workers must not take the write lock to look
        return False
    with register.writer_lock:
        job = _claim(register.engine)
    if job is None:
        return False
    started = time.perf_counter()
    try:
        with Session(register.engine) as session:
            sha = session.scalar(sa.select(Attachment.sha256).where(Attachment.id == job.attachment_id))
        text, pages = ocr_text_pages(register.blobs.get(sha), config.ocr_dpi, max_pages)
    except Exception as err:  # noqa: BLE001 - a bad file fails its job, never the worker
        with register.writer_lock:
            _finish(register.engine, job.id, "failed", 0, f"{type(err).__name__}: {err}")
        log.warning("OCR job %d (document %d) failed: %s", job.id, job.document_id, err)
        return True
    with register.writer_lock, register.engine.begin() as conn:
        with Session(bind=conn) as session:
            old = session.scalar(sa.select(Attachment.text).where(Attachment.id == job.attachment_id)) or ""
            session.execute(sa.update(Attachment).where(Attachment.id == job.attachment_id)
                            .values(text=(old + "\n\f\n" + text).strip() if text else old))
            if text:
                exact, folded = register.searcher.indexed_text(session, job.document_id)
                register.searcher.index_document(session, job.document_id, exact + "\n" + canonical_tones(text),
                                                 folded + "\n" + fold(text))
            session.flush()
        conn.execute(sa.update(OcrJob).where(OcrJob.id == job.id).values(
            state="done", finished_at=dt.datetime.now(dt.timezone.utc), pages_read=pages,
            detail=f"{pages} pages in {time.perf_counter() - started:.1f} s"))
        record_audit(conn, "ocr-completed", actor="gateway", document_id=job.document_id,
                     detail={"attachment_id": job.attachment_id, "pages": pages, "characters": len(text)})
    log.info("OCR job %d: %d pages of document %d read in %.1f s", job.id, pages, job.document_id,
             time.perf_counter() - started)
    return True


def ocr_text_pages(payload: bytes, dpi: int, max_pages: int) -> tuple[str, int]:
    """The OCR text of every page without a text layer (up to ``max_pages``), pages joined by form feeds."""
    import pypdfium2 as pdfium

    from gateway.understand import ocr
    from gateway.understand.layout import doc_text, page_text

    pdf = pdfium.PdfDocument(payload)
    texts, read = [], 0
    try:
        for index in range(len(pdf)):
            if page_text(pdf, index).has_text:
                continue
            if read == max_pages:
                break
            seen = ocr.ocr_region(pdf, index, 1.0, dpi)
            texts.append("\n".join(line for line in doc_text([seen.page]).lines if line))
            read += 1
    finally:
        pdf.close()
    return "\n\f\n".join(texts).strip(), read


def _claim(engine) -> sa.Row | None:
    """Take the oldest pending (or stale running) job; two workers never take the same one."""
    now = dt.datetime.now(dt.timezone.utc)
    stale = now - dt.timedelta(seconds=STALE_SECONDS)
    with engine.begin() as conn:
        for _ in range(5):
            row = conn.execute(
                sa.select(OcrJob.id, OcrJob.attachment_id, OcrJob.document_id)
                .where(sa.or_(OcrJob.state == "pending",
                              sa.and_(OcrJob.state == "running", OcrJob.started_at < stale)))
                .order_by(OcrJob.id).limit(1)
            ).first()
            if row is None:
                return None
            taken = conn.execute(
                sa.update(OcrJob).where(OcrJob.id == row.id, sa.or_(
                    OcrJob.state == "pending", sa.and_(OcrJob.state == "running", OcrJob.started_at < stale)))
                .values(state="running", started_at=now)
            ).rowcount
            if taken == 1:
                return row
    return None


def _any_waiting(engine) -> bool:
    stale = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=STALE_SECONDS)
    with db.reader(engine).connect() as conn:
        return conn.scalar(
            sa.select(OcrJob.id).where(sa.or_(OcrJob.state == "pending",
                                              sa.and_(OcrJob.state == "running", OcrJob.started_at < stale)))
            .limit(1)
        ) is not None


def _finish(engine, job_id: int, state: str, pages: int, detail: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(OcrJob).where(OcrJob.id == job_id).values(
            state=state, finished_at=dt.datetime.now(dt.timezone.utc), pages_read=pages, detail=detail[:2000]))


def pending_count(engine) -> int:
    """Jobs not yet done (pending or running), for status displays."""
    with engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count(OcrJob.id)).where(OcrJob.state.in_(("pending", "running")))) or 0
