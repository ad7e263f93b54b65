"""Listening sockets for the gateway's servers (SMTP, web, metrics), with errors that name the setting, the
address and what to do about it."""

from __future__ import annotations

import errno
import socket

from gateway.core.errors import ConfigError, GatewayError, ListenError


def bind_listener(host: str, port: int, key: str) -> socket.socket:
    """A listening, non-blocking TCP socket on host:port; ``key`` is the setting that named the address."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as err:
        raise listen_error(key, host, port, err) from err
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        sock.close()
        raise listen_error(key, host, port, err) from err
    sock.setblocking(False)
    return sock


def listen_error(key: str, host: str, port: int, err: OSError) -> GatewayError:
    """Why host:port cannot be listened on, and what to do: ListenError when waiting or another program is the
    cause (systemd's restart may help), ConfigError when the setting itself must change."""
    where = f"{key} = {host}:{port}"
    if err.errno == errno.EADDRINUSE:
        return ListenError(f"cannot listen on {host}:{port} ({key}): the address is in use by another program",
                           f"find it with `ss -ltnp 'sport = :{port}'` (another gateway still running?), stop it, "
                           f"or choose a free port in {key}")
    if err.errno == errno.EADDRNOTAVAIL:
        return ListenError(f"cannot listen on {host}:{port} ({key}): no network interface of this host has "
                           f"the address {host}", f"wait for the network to come up, or correct {key}")
    if err.errno == errno.EACCES:
        return ConfigError(f"{where}: permission denied: ports below 1024 need CAP_NET_BIND_SERVICE (the "
                           "systemd unit grants it) or a port of 1024 or more")
    if isinstance(err, socket.gaierror):
        return ConfigError(f"{where}: the host name {host!r} does not resolve ({err.strerror or err})")
    return ConfigError(f"{where}: cannot listen: {err.strerror or err}")
