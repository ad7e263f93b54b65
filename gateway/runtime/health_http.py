"""A small HTTP server thread in the daemon: /healthz (database answers) and /metrics (Prometheus)."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from gateway.core.config import Config, parse_host_port
from gateway.core.errors import GatewayError
from gateway.core.listen import listen_error
from gateway.register.service import Register
from gateway.runtime.metrics import CONTENT_TYPE, render_metrics
from gateway.spool import Spool

log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            self._healthz()
        elif path == "/metrics":
            self._metrics()
        else:
            self._reply(404, "text/plain; charset=utf-8", "not found: try /healthz or /metrics\n")

    def _healthz(self) -> None:
        try:
            self.server.register.check()
        except GatewayError as err:
            self._reply(503, "text/plain; charset=utf-8", f"unhealthy: {err}\n")
            return
        self._reply(200, "text/plain; charset=utf-8", "ok\n")

    def _metrics(self) -> None:
        try:
            body = render_metrics(self.server.register, self.server.spool)
        except GatewayError as err:
            log.warning("metrics scrape failed: %s", err)
            self._reply(503, "text/plain; charset=utf-8", f"metrics unavailable: {err}\n")
            return
        self._reply(200, CONTENT_TYPE, body)

    def _reply(self, status: int, content_type: str, body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        log.debug("http %s " + format, self.client_address[0], *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], register: Register, spool: Spool) -> None:
        super().__init__(address, _Handler)
        self.register = register
        self.spool = spool


class HealthServer:
    """Serves /healthz and /metrics on metrics.listen in a background thread."""

    def __init__(self, config: Config, spool: Spool) -> None:
        self.config = config
        self.spool = spool
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._register: Register | None = None

    def start(self) -> None:
        host, port = parse_host_port(self.config.metrics.listen, "metrics.listen")
        self._register = Register(self.config)
        try:
            self._server = _Server((host, port), self._register, self.spool)
        except OSError as err:
            self._register.close()
            raise listen_error("metrics.listen", host, port, err) from err
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics-http", daemon=True)
        self._thread.start()
        log.info("health and metrics on http://%s:%d/", host, self._server.server_address[1])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._register is not None:
            self._register.close()
            self._register = None
