"""Runs the web application with uvicorn: in a thread of `gateway serve`, or in the foreground for `gateway web`."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading

import uvicorn

from gateway.core.config import Config, parse_host_port
from gateway.core.errors import ConfigError
from gateway.core.listen import bind_listener
from gateway.register.service import Register
from gateway.spool import Spool
from gateway.web.app import create_app

log = logging.getLogger(__name__)


def _uvicorn_config(config: Config, app) -> uvicorn.Config:
    host, port = parse_host_port(config.web.listen, "web.listen")
    # proxy_headers off: the peer address must stay the real one, it decides whether a proxy header is believed.
    return uvicorn.Config(app, host=host, port=port, proxy_headers=False, server_header=False, log_config=None,
                          access_log=False, lifespan="off")


def _bind(config: Config) -> socket.socket:
    """web.listen bound here, not by uvicorn: a port in use then says so, with what to do (ListenError)."""
    host, port = parse_host_port(config.web.listen, "web.listen")
    return bind_listener(host, port, "web.listen")


class WebServer:
    """The web UI and API on web.listen in a background thread (started and stopped by the daemon)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.spool = Spool.from_config(config)
        self._register: Register | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 30.0) -> None:
        sock = _bind(self.config)
        try:
            self._register = Register(self.config)
        except BaseException:
            sock.close()
            raise
        self._server = uvicorn.Server(_uvicorn_config(self.config, create_app(self.config, self._register, self.spool)))
        # uvicorn only touches signals from the main thread: in this thread the daemon keeps owning them.
        failed: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self._server.serve(sockets=[sock]))
            except BaseException as err:  # noqa: BLE001 - reported to start() below
                failed.append(err)

        self._thread = threading.Thread(target=run, name="web-http", daemon=True)
        self._thread.start()
        ready = threading.Event()
        while not ready.wait(0.02):
            if self._server.started:
                break
            if not self._thread.is_alive() or failed:
                self.stop()
                raise ConfigError(f"web.listen {self.config.web.listen}: cannot listen: {failed[0] if failed else 'exited'}")
            timeout -= 0.02
            if timeout <= 0:
                self.stop()
                raise ConfigError(f"web.listen {self.config.web.listen}: server did not start")
        log.info("web UI and API on http://%s/", self.config.web.listen)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self._server = None
        if self._register is not None:
            self._register.close()
            self._register = None


def serve_foreground(config: Config) -> None:
    """`gateway web`: serve until SIGINT or SIGTERM."""
    register = Register.open(config)
    spool = Spool.from_config(config)
    # uvicorn shuts down gracefully on these, then re-raises the signal to the handler it found: make that
    # handler a no-op so a requested stop exits 0, as `gateway serve` does.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    try:
        uvicorn.Server(_uvicorn_config(config, create_app(config, register, spool))).run(sockets=[_bind(config)])
    finally:
        register.close()
