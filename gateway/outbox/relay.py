"""Hands one message to the configured SMTP relay (STARTTLS, AUTH) and says whether a failure is temporary."""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from dataclasses import dataclass

from gateway.core.config import OutboxConfig
from gateway.core.errors import ConfigError


@dataclass(frozen=True)
class DeliveryFailure(Exception):
    """The relay did not take the message; ``temporary`` for 4xx answers and connection trouble."""

    temporary: bool
    reason: str

    def __str__(self) -> str:
        return self.reason


def _password(config: OutboxConfig) -> str:
    if config.password_env:
        value = os.environ.get(config.password_env)
        if value is None:
            raise ConfigError(f"outbox.password_env: {config.password_env} is not set")
        return value
    try:
        with open(config.password_file, encoding="utf-8") as handle:
            return handle.readline().rstrip("\r\n")
    except OSError as err:
        raise ConfigError(f"outbox.password_file: cannot read {config.password_file}: {err}") from err


def _classify(code: int, text: bytes | str) -> DeliveryFailure:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return DeliveryFailure(400 <= code < 500, f"{code} {text}".strip())


def deliver(config: OutboxConfig, sender: str, recipient: str, data: bytes) -> None:
    """Send ``data`` to ``recipient``; raises DeliveryFailure (temporary or permanent)."""
    try:
        with smtplib.SMTP(config.relay_host, config.relay_port, timeout=config.timeout) as client:
            client.ehlo()
            if config.starttls:
                context = ssl.create_default_context(cafile=config.tls_ca_file or None)
                client.starttls(context=context)
                client.ehlo()
            if config.username:
                client.login(config.username, _password(config))
            client.sendmail(sender, [recipient], data)
    except smtplib.SMTPRecipientsRefused as err:
        code, text = next(iter(err.recipients.values()))
        raise _classify(code, text) from err
    except smtplib.SMTPResponseException as err:  # sender refused, data refused, auth refused, ...
        raise _classify(err.smtp_code, err.smtp_error) from err
    except (smtplib.SMTPException, OSError, socket.timeout, ssl.SSLError) as err:
        raise DeliveryFailure(True, f"{type(err).__name__}: {err}") from err
