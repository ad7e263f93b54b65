"""Background OCR: idle workers read the scanned pages registration did not wait for, one attachment a job."""

from __future__ import annotations

import logging
import time

from gateway.core.config import UnderstandConfig
from gateway.register.service import Register

log = logging.getLogger(__name__)


def run_next(register: Register, config: UnderstandConfig, max_pages: int = 200) -> bool:
    """Claim and run one pending OCR job; False when there was none (or OCR is off or not installed)."""
    from gateway.understand import ocr

    if not config.ocr or not ocr.available() or not register.ocr_jobs.any_waiting():
        return False
    job = register.ocr_jobs.claim()
    if job is None:
        return False
    started = time.perf_counter()
    try:
        text, pages = ocr_text_pages(register.blobs.get(job.sha256), config.ocr_dpi, max_pages)
    except Exception as err:  # noqa: BLE001 - a bad file fails its job, never the worker
        register.ocr_jobs.fail(job, f"{type(err).__name__}: {err}")
        log.warning("OCR job %d (document %d) failed: %s", job.id, job.document_id, err)
        return True
    seconds = time.perf_counter() - started
    register.ocr_jobs.complete(job, text, pages, seconds)
    log.info("OCR job %d: %d pages of document %d read in %.1f s", job.id, pages, job.document_id, seconds)
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
