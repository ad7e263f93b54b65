"""Background OCR: idle workers read the scanned pages registration did not wait for, a few pages at a time in
the limited reading child, so that a new message never waits behind more than one small chunk."""

from __future__ import annotations

import logging

from gateway.core.config import Config
from gateway.core.errors import GatewayError
from gateway.register.service import Register
from gateway.runtime.sandbox import ocr_pages_isolated

log = logging.getLogger(__name__)

PAGES_PER_CHUNK = 8  # at most; a chunk also ends after about a second of OCR


def run_chunk(register: Register, config: Config, pages: int = PAGES_PER_CHUNK) -> bool:
    """Claim and OCR the next few pages of a waiting job; False when there was none (or OCR is off or missing)."""
    from gateway.understand import ocr

    if not config.understand.ocr or not ocr.available() or not register.ocr_jobs.any_waiting():
        return False
    job = register.ocr_jobs.claim()
    if job is None:
        return False
    try:
        read = ocr_pages_isolated(register.blobs.get(job.sha256), job.next_page, pages, config.understand.ocr_dpi,
                                  config.limits)
    except GatewayError as err:  # a page that breaks or outlasts the reader fails its job, never the worker
        register.ocr_jobs.fail(job, f"{type(err).__name__}: {err}")
        log.warning("OCR job %d (document %d) failed at page %d: %s", job.id, job.document_id, job.next_page + 1,
                    err)
        return True
    if not register.ocr_jobs.progress(job, read.text, read.pages_read, read.next_page, read.finished):
        log.warning("OCR job %d: pages %d-%d were taken over by another worker; their text is not written twice",
                    job.id, job.next_page + 1, read.next_page)
    elif read.finished:
        log.info("OCR job %d: document %d read to its last page (%d)", job.id, job.document_id, read.total_pages)
    return True
