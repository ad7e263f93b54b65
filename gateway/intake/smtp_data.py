"""An aiosmtpd SMTP protocol whose DATA phase reads the message in bulk instead of line by line.

Stock aiosmtpd awaits one `readuntil(b"\\r\\n")` per line: about 700 coroutine round trips for a 50 KB
message, which costs ~4 ms of CPU per message on this class of machine and makes the protocol, not the disk,
the ceiling of the intake. This class keeps aiosmtpd's observable behaviour (552 when the data exceeds the
size limit, 500 for a line longer than RFC 5321 allows, dot-unstuffing per RFC 5321 §4.5.2, the reply is
what handle_DATA returns) but scans whole chunks with bytes methods that run in C.

Line ends inside the message are taken as Postfix takes them by default: a bare LF ends a line too, and the
stored message has CRLF everywhere (19 % of a real corpus was sent with bare LF). The end of DATA is still only
CRLF "." CRLF: "<LF>.<LF>", "<CR><LF>.<LF>" or "<LF>.<CR><LF>" are message content, so a client cannot smuggle
a second message past an MTA that reads the end of DATA differently (SMTP smuggling, CVE-2023-51764).

It also drains as Postfix's smtpd does on a stop: a session in the middle of DATA finishes its transaction and
gets its reply before "421"; any other session gets "421" at once and is closed; so a client never loses the
connection between the end of its data and our answer ("message may be sent more than once").

It relies on a few aiosmtpd internals (`_reader`, `_writer`, `_call_handler_hook`, `_set_post_data_state`),
which is why pyproject.toml pins aiosmtpd below 1.5; tests/test_smtp_data.py checks the behaviour against real
clients.
"""

from __future__ import annotations

import re
import sys

from aiosmtpd.smtp import MISSING, SMTP

TERMINATOR = b"\r\n.\r\n"
LINE_LIMIT = 1001  # bytes including CRLF, as aiosmtpd's SMTP.line_length_limit (RFC 5321 §4.5.3.1.6)
REPLY_TOO_MUCH = "552 Error: Too much mail data"
REPLY_LINE_TOO_LONG = "500 Line too long (see RFC5321 4.5.3.1.6)"
REPLY_SHUTTING_DOWN = b"421 4.3.2 Service shutting down, try again later\r\n"
_BARE_LF = re.compile(rb"(?<!\r)\n")


def crlf_lines(body: bytes | bytearray) -> bytes:
    """The body with every bare LF turned into CRLF (lines already ending in CRLF are left as they are)."""
    content = bytes(body)
    if content.count(b"\n") == content.count(b"\r\n"):
        return content  # the usual case: no regular expression pass over a large message
    return _BARE_LF.sub(b"\r\n", content)


def unstuff(body: bytes | bytearray) -> bytes:
    """Remove the transparency dot at the start of each line (RFC 5321 §4.5.2); lines end in CRLF here."""
    content = bytes(body).replace(b"\r\n.", b"\r\n")
    return content[1:] if content.startswith(b".") else content


def longest_line(body: bytes | bytearray) -> int:
    """Length of the longest CRLF-terminated line, CRLF included."""
    return max((len(line) for line in bytes(body).split(b"\r\n")), default=0) + 2


class BulkDataSMTP(SMTP):
    """aiosmtpd's SMTP with a bulk DATA reader and a drain; every other command is aiosmtpd's own.

    ``sessions`` is the set of live sessions of one listener (the controller drains them all).
    """

    def __init__(self, handler, *args, sessions: set[BulkDataSMTP] | None = None, **kwargs) -> None:
        super().__init__(handler, *args, **kwargs)
        self._sessions = sessions if sessions is not None else set()
        self.in_data = False  # from the DATA command until its reply has been written
        self.draining = False

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._sessions.add(self)

    def connection_lost(self, error) -> None:
        self._sessions.discard(self)
        super().connection_lost(error)

    def drain(self) -> None:
        """Stop this session: at once when it is between transactions, else right after its DATA reply."""
        self.draining = True
        if not self.in_data:
            self._goodbye()

    def _goodbye(self) -> None:
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.write(REPLY_SHUTTING_DOWN)
            transport.close()

    async def smtp_DATA(self, arg: str) -> None:
        self.in_data = True
        try:
            await self._data(arg)
        finally:
            self.in_data = False
            if self.draining:
                self._goodbye()

    async def _data(self, arg: str) -> None:
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        body, too_much = await self._read_until_terminator()
        if body is None:  # the client went away in the middle of DATA
            return
        if too_much:
            await self._refuse(REPLY_TOO_MUCH)
            return
        content = crlf_lines(body)
        if longest_line(content) > LINE_LIMIT:
            await self._refuse(REPLY_LINE_TOO_LONG)
            return
        content = unstuff(content)
        self.envelope.content = content
        self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)

    async def _refuse(self, reply: str) -> None:
        self._set_post_data_state()
        await self.push(reply)

    async def _read_until_terminator(self) -> tuple[bytearray | None, bool]:
        """The stuffed message body (up to the CRLF before the lone dot) and whether it exceeded the limit.

        The buffer starts with a virtual CRLF (the end of the DATA command line) so that an empty message,
        whose first line is the lone dot, is found by the same search. Bytes read past the terminator are fed
        back to the reader; they can only come from a client that pipelines without being offered it.
        """
        limit = self.data_size_limit
        buffer = bytearray(b"\r\n")
        scan_from = 0
        too_much = False
        while True:
            chunk = await self._reader.read(sys.maxsize)  # takes everything buffered, so feed_data keeps order
            if not chunk:
                return None, False
            buffer += chunk
            end = buffer.find(TERMINATOR, scan_from)
            if end >= 0:
                leftover = bytes(buffer[end + len(TERMINATOR):])
                if leftover:
                    self._reader.feed_data(leftover)
                body = buffer[2 : end + 2]
                return body, too_much or bool(limit and len(body) > limit)
            scan_from = max(0, len(buffer) - len(TERMINATOR) + 1)
            if limit and len(buffer) - 2 > limit:
                too_much = True  # keep reading to the end of DATA, as RFC 5321 §4.2.5 implies, but drop the bytes
                del buffer[: len(buffer) - len(TERMINATOR)]
                scan_from = 0
