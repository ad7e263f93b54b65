"""Runs extract_message (one part at a time) and the field reader in a child process with a time and memory limit."""

from __future__ import annotations

import ctypes
import dataclasses
import faulthandler
import logging
import multiprocessing
import os
import re
import resource
import signal
import time

from gateway.core.config import LimitsConfig, UnderstandConfig
from gateway.core.errors import ExtractionError
from gateway.core.values import DocumentMeta, Extracted, ExtractedText, ParsedMessage, Part
from gateway.extract import extract_message, limit_hits
from gateway.extract.pdf import OpenPdfs
from gateway.understand.fields import FIRST_PAGES, LAST_PAGES, understand
from gateway.understand.pages import PagesRead, scanned_pages_text

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1


UNDERSTAND = "understand"
READ = "read"  # every part's texts, then the fields: one request, one answer per step
OCR_PAGES = "ocr-pages"
OOM_SCORE_ADJ = 1000  # the most a process may raise its own; the reader is the one to lose


def _serve(conn, limits: LimitsConfig) -> None:
    """The child: answer a message with one part by its texts, or ("understand", extracted, config) by its fields."""
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    faulthandler.disable()  # a reader dying on a hostile file is expected; the parent logs it in one line
    try:  # when the service's MemoryMax is reached, the kernel kills this reader, never the daemon or a worker
        with open("/proc/self/oom_score_adj", "w", encoding="ascii") as handle:
            handle.write(str(OOM_SCORE_ADJ))
    except OSError:
        pass
    # pdfium's library is mapped before the limit, so the limit falls on a file's pages, never on loading the
    # reader's own code (under a tight limit, a lazy load failed with "failed to map segment", a broken file)
    import pypdfium2  # noqa: F401
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limits.extract_memory, limits.extract_memory))
    except (ValueError, OSError) as err:
        log.warning("extractor: cannot limit memory to %d bytes: %s", limits.extract_memory, err)
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if isinstance(request, tuple) and request[0] == READ:
            _read(conn, limits, *request[1:])
            continue
        if isinstance(request, tuple) and request[0] == UNDERSTAND:
            _answer(conn, limits, understand, request[1], request[2])
        elif isinstance(request, tuple) and request[0] == OCR_PAGES:
            _answer(conn, limits, scanned_pages_text, *request[1:])
        else:
            _answer(conn, limits, lambda single: extract_message(single, limits).texts, request)


def _answer(conn, limits: LimitsConfig, work, *args) -> object:
    """Send what ``work(*args)`` gives, or ("limit"/"broken", why) when it fails; returns what was sent."""
    try:
        result: object = work(*args)
    except MemoryError:
        result = ("limit", f"extract_memory ({limits.extract_memory} bytes) exceeded")
    except Exception as err:  # noqa: BLE001 - the readers should not raise; never take the child down
        result = ("broken", f"{type(err).__name__}: {err}")
    try:
        conn.send(result)
    except MemoryError:
        result = ("limit", f"extract_memory ({limits.extract_memory} bytes) exceeded")
        conn.send(result)
    return result


def _read(conn, limits: LimitsConfig, parsed: ParsedMessage, skipped: dict[int, ExtractedText],
          config: UnderstandConfig) -> None:
    """The child's side of READ: one answer per part not ``skipped`` (as for a one-part message), then the fields
    (None when a limit holds the message for quarantine), so the payloads cross the pipe once, not twice."""
    texts: list[ExtractedText] = []
    pdfs = OpenPdfs(FIRST_PAGES, LAST_PAGES)  # each PDF opened, and its end pages loaded, once for both steps
    try:
        for part in parsed.parts:
            if part.index in skipped:
                texts.append(skipped[part.index])
                continue
            single = dataclasses.replace(parsed, parts=(part,))
            texts.extend(_texts(part, _answer(conn, limits, lambda one: extract_message(one, limits, pdfs).texts,
                                              single)))
        extracted = Extracted(message=parsed, texts=tuple(texts))
        if limits.on_limit == "quarantine" and limit_hits(extracted):
            conn.send(None)
            return
        _answer(conn, limits, understand, extracted, config, pdfs)
    finally:
        pdfs.close()


class IsolatedExtractor:
    """One reading child per worker process, replaced when a part kills it or runs out of time."""

    def __init__(self, limits: LimitsConfig) -> None:
        self.limits = limits
        self._process = None
        self._conn = None

    def _start(self) -> None:
        context = multiprocessing.get_context("fork")
        parent, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, self.limits), daemon=True,
                                        name="gateway-extract")
        self._process.start()
        child.close()
        self._conn = parent

    def close(self) -> None:
        """Stop the child (it also dies with this process)."""
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
            self._conn.close()
        self._process = self._conn = None

    def extract(self, parsed: ParsedMessage) -> Extracted:
        """extract_message(parsed, limits), each part read in the child; a part over a limit is marked, not lost."""
        skipped = self._skipped(parsed)
        texts: list[ExtractedText] = []
        for part in parsed.parts:
            texts.extend([skipped[part.index]] if part.index in skipped else
                         self._one(dataclasses.replace(parsed, parts=(part,)), part))
        return Extracted(message=parsed, texts=tuple(texts))

    def read(self, parsed: ParsedMessage, config: UnderstandConfig) -> tuple[Extracted, DocumentMeta | None]:
        """extract() and then understand() with one request to the child; the fields are None when a limit
        holds the message for quarantine (limits.on_limit). When the child dies or runs over on a step, the
        rest is read as extract() and understand() would, so each limit is still put on its part."""
        skipped = self._skipped(parsed)
        if len(skipped) == len(parsed.parts):
            extracted = Extracted(message=parsed, texts=tuple(skipped.values()))
            return extracted, self._understood(extracted, config)
        self._send((READ, parsed, skipped, config))
        texts: list[ExtractedText] = []
        for number, part in enumerate(parsed.parts):
            if part.index in skipped:
                texts.append(skipped[part.index])
                continue
            answer, problem = self._wait(f"part {part.index} ({part.filename})")
            if problem:  # the child is gone: the other parts one by one in a new one, as extract() does
                texts.append(_not_extracted(part, problem))
                for rest in parsed.parts[number + 1:]:
                    texts.extend([skipped[rest.index]] if rest.index in skipped else
                                 self._one(dataclasses.replace(parsed, parts=(rest,)), rest))
                extracted = Extracted(message=parsed, texts=tuple(texts))
                return extracted, self._understood(extracted, config)
            texts.extend(_texts(part, answer))
        extracted = Extracted(message=parsed, texts=tuple(texts))
        answer, problem = self._wait("the field reader")
        return extracted, None if answer is None and not problem else _meta(answer, problem)

    def _understood(self, extracted: Extracted, config: UnderstandConfig) -> DocumentMeta | None:
        if self.limits.on_limit == "quarantine" and limit_hits(extracted):
            return None
        return self.understand(extracted, config)

    def _skipped(self, parsed: ParsedMessage) -> dict[int, ExtractedText]:
        """The parts not to send to the child at all (by part index), each with the limit it is over."""
        skipped = {}
        for number, part in enumerate(parsed.parts):
            if number >= self.limits.max_attachments:
                skipped[part.index] = _not_extracted(part, f"max_attachments ({self.limits.max_attachments})")
            elif part.sniffed_type == "pdf" and (objects := _pdf_objects(part.payload,
                                                                          self.limits.pdf_max_objects)):
                skipped[part.index] = _not_extracted(part, f"pdf_max_objects ({self.limits.pdf_max_objects}): "
                                                           f"{objects}")
        return skipped

    def understand(self, extracted: Extracted, config: UnderstandConfig) -> DocumentMeta:
        """The fields read in the child (OCR and signature checks included); over a limit, no fields and a note."""
        return _meta(*self._ask((UNDERSTAND, extracted, config), "the field reader"))

    def ocr_pages(self, payload: bytes, start: int, count: int, dpi: int) -> PagesRead:
        """Background OCR of a few scanned pages in the child; ExtractionError when it dies or runs over."""
        answer, problem = self._ask((OCR_PAGES, payload, start, count, dpi), f"OCR of pages from {start + 1}")
        if problem:
            raise ExtractionError(problem)
        if isinstance(answer, tuple):
            raise ExtractionError(str(answer[1]))
        return answer

    def _one(self, single: ParsedMessage, part: Part) -> list[ExtractedText]:
        answer, problem = self._ask(single, f"part {part.index} ({part.filename})")
        if problem:
            return [_not_extracted(part, problem)]
        return _texts(part, answer)

    def _ask(self, request: object, what: str) -> tuple[object, str]:
        """Send one request to the child and wait for its answer; (None, the limit hit) if it died or ran over."""
        self._send(request)
        return self._wait(what)

    def _send(self, request: object) -> None:
        """Send a request to the child (started when there is none); a failure shows in the _wait after."""
        if self._process is None or not self._process.is_alive():
            self._start()
        try:
            self._conn.send(request)
        except (EOFError, OSError):
            pass  # the child died: _wait reports it

    def _wait(self, what: str) -> tuple[object, str]:
        """The child's next answer; (None, the limit hit) if it died or ran over on ``what``."""
        started = time.monotonic()
        try:
            ready = self._conn.poll(self.limits.extract_timeout)
            answer = self._conn.recv() if ready else None
        except (EOFError, OSError) as err:
            self._process.join(5)
            code = self._process.exitcode
            self.close()
            log.warning("extractor died on %s: exit %s (%r)", what, code, err)
            return None, (f"reader process died (exit {code}; extract_memory "
                          f"{self.limits.extract_memory} bytes, or a crash of the reader)")
        if not ready:
            self.close()
            log.warning("extractor: %s took longer than %.0f s; reader restarted", what, self.limits.extract_timeout)
            return None, f"extract_timeout ({self.limits.extract_timeout:g} s)"
        log.debug("%s done in %.3f s", what, time.monotonic() - started)
        return answer, ""


_PDF_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b")


def _pdf_objects(payload: bytes, limit: int) -> int:
    """How many "N G obj" headers the file has when more than ``limit``, else 0: a cheap count made before any
    PDF library sees the file (the regex runs only when the bytes "obj" occur more often than the limit)."""
    if payload.count(b"obj") <= limit:
        return 0
    objects = sum(1 for _ in _PDF_OBJECT.finditer(payload))
    return objects if objects > limit else 0


def _texts(part: Part, answer: object) -> list[ExtractedText]:
    """The texts the child gave for one part, or the part marked with the limit or failure it answered."""
    if isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[0], str):
        status, detail = answer
        return [_not_extracted(part, detail) if status == "limit" else
                dataclasses.replace(_not_extracted(part, detail), status=status, detail=detail)]
    return list(answer)


def _meta(answer: object, problem: str) -> DocumentMeta:
    """The child's fields, or none and a note saying which limit stopped the reader."""
    if problem:
        return DocumentMeta(notes=(f"fields not read: {problem}",))
    if isinstance(answer, tuple):
        return DocumentMeta(notes=(f"fields not read: {answer[1]}",))
    return answer


def _not_extracted(part: Part, limit: str) -> ExtractedText:
    return ExtractedText(
        filename=part.filename, sniffed_type=part.sniffed_type, sha256=part.sha256, size=part.size,
        status="limit", detail=f"not extracted: {limit}", part_index=part.index,
    )


_EXTRACTORS: dict[tuple[int, LimitsConfig], IsolatedExtractor] = {}


def _extractor(limits: LimitsConfig) -> IsolatedExtractor:
    key = (os.getpid(), limits)  # a forked worker must not share its parent's child and pipe
    extractor = _EXTRACTORS.get(key)
    if extractor is None:
        extractor = _EXTRACTORS[key] = IsolatedExtractor(limits)
    return extractor


def extract_isolated(parsed: ParsedMessage, limits: LimitsConfig) -> Extracted:
    """extract_message in this process's reading child (one per process and limits, made on first use)."""
    if not limits.extract_isolated or not parsed.parts:
        return extract_message(parsed, limits)
    return _extractor(limits).extract(parsed)


def read_isolated(parsed: ParsedMessage, limits: LimitsConfig,
                  config: UnderstandConfig) -> tuple[Extracted, DocumentMeta | None]:
    """extract_isolated and understand_isolated with one request to the reading child (the payloads cross once);
    the fields are None when a limit holds the message for quarantine (limits.on_limit = "quarantine")."""
    if not limits.extract_isolated or not parsed.parts:
        pdfs = OpenPdfs(FIRST_PAGES, LAST_PAGES)
        try:
            extracted = extract_message(parsed, limits, pdfs)
            if limits.on_limit == "quarantine" and limit_hits(extracted):
                return extracted, None
            return extracted, understand(extracted, config, pdfs)
        finally:
            pdfs.close()
    return _extractor(limits).read(parsed, config)


def understand_isolated(extracted: Extracted, limits: LimitsConfig, config: UnderstandConfig) -> DocumentMeta:
    """The field reader (layout, OCR, pyHanko) in the same child, so a hostile file cannot hang the worker."""
    if not limits.extract_isolated or not extracted.message.parts:
        return understand(extracted, config)
    return _extractor(limits).understand(extracted, config)


def ocr_pages_isolated(payload: bytes, start: int, count: int, dpi: int, limits: LimitsConfig) -> PagesRead:
    """Background OCR of up to ``count`` scanned pages from ``start``, in this process's reading child."""
    if not limits.extract_isolated:
        return scanned_pages_text(payload, start, count, dpi)
    return _extractor(limits).ocr_pages(payload, start, count, dpi)
