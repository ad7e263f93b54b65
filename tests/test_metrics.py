"""/healthz and Prometheus /metrics from a running `gateway serve`, computed from the database and the spool."""

from __future__ import annotations

import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

from conftest import free_port, wait_for


def _get(port: int, path: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read().decode("utf-8")


def _answers(port: int) -> bool:
    """True once the HTTP server answers /healthz with 200 (it starts just after the SMTP port)."""
    try:
        return _get(port, "/healthz")[0] == 200
    except urllib.error.URLError:
        return False


def _samples(text: str) -> dict[str, float]:
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line and not line.startswith("#")}


def _send(port: int, number: int, message_id: str) -> None:
    message = EmailMessage()
    message["From"] = "vanthu@ubnd.example.gov.vn"
    message["To"] = "vanthu@localhost"
    message["Subject"] = f"Công văn {number}"
    message["Message-ID"] = f"<{message_id}>"
    message.set_content("Nội dung.")
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail("vanthu@ubnd.example.gov.vn", ["vanthu@localhost"], message.as_bytes(policy=SMTP_POLICY))


def test_healthz_and_metrics_follow_the_register(gateway_factory):
    http_port = free_port()
    gateway = gateway_factory(workers=1, extra=f'\n[metrics]\nlisten = "127.0.0.1:{http_port}"\n')
    gateway.start()
    wait_for(lambda: _answers(http_port), 30, what="/healthz")
    assert _get(http_port, "/healthz")[2] == "ok\n"
    assert _get(http_port, "/nope")[0] == 404

    _send(gateway.port, 1, "m-1@ubnd.example.gov.vn")
    _send(gateway.port, 2, "m-2@ubnd.example.gov.vn")
    _send(gateway.port, 3, "m-1@ubnd.example.gov.vn")  # a duplicate by Message-ID

    def scraped() -> dict[str, float] | None:
        samples = _samples(_get(http_port, "/metrics")[2])
        return samples if samples.get('gateway_messages_received_total{source="smtp"}') == 3 else None

    samples = wait_for(scraped, 60, what="three arrivals in /metrics")
    status, content_type, text = _get(http_port, "/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
    assert samples['gateway_documents_registered_total{source="smtp"}'] == 2
    assert samples["gateway_duplicate_arrivals_total"] == 1
    assert samples['gateway_spool_messages{queue="bad"}'] == 0
    assert samples['gateway_spool_messages{queue="incoming"}'] == 0
    assert samples["gateway_registration_latency_seconds_count"] == 2
    assert samples['gateway_registration_latency_seconds_bucket{le="+Inf"}'] == 2
    buckets = [value for key, value in samples.items() if key.startswith("gateway_registration_latency_seconds_b")]
    assert buckets == sorted(buckets)  # cumulative
    assert 0 <= samples["gateway_registration_latency_seconds_sum"] < 120
    assert "# TYPE gateway_registration_latency_seconds histogram" in text
    assert gateway.stop() == 0


def test_metrics_are_off_by_default(gateway_factory):
    gateway = gateway_factory(workers=1)
    gateway.start()
    assert "health and metrics" not in gateway.log_text()
    assert gateway.stop() == 0


def test_counters_and_latency_on_postgresql(tmp_path, postgres_url):
    from click.testing import CliRunner
    from conftest import write_config

    from gateway.cli import main
    from gateway.core.config import load_config
    from gateway.register.service import Register
    from gateway.runtime.metrics import LATENCY_BUCKETS

    config_path = write_config(tmp_path, 2525, postgres_url)
    eml = tmp_path / "a.eml"
    eml.write_bytes(b"From: a@b.example\r\nTo: vanthu@localhost\r\nSubject: x\r\nMessage-ID: <pg-m@x>\r\n\r\nhello\r\n")
    result = CliRunner().invoke(main, ["--config", str(config_path), "import", str(eml), str(eml)])
    assert result.exit_code == 0, result.output
    register = Register.open(load_config(config_path))
    try:
        counters = register.counters(LATENCY_BUCKETS)
    finally:
        register.close()
    assert counters.received_by_source == {"import": 2} and counters.registered_by_source == {"import": 1}
    assert counters.duplicates == 1 and counters.latency_count == 1
    assert 0 <= counters.latency_sum < 120 and counters.latency_buckets[-1] == (LATENCY_BUCKETS[-1], 1)


def test_a_metrics_port_in_use_stops_the_daemon_with_a_clear_error(tmp_path):
    import socket
    import subprocess
    import sys

    from conftest import REPO, write_config

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path, free_port(), workers=1, extra=f'\n[metrics]\nlisten = "127.0.0.1:{port}"\n')
        result = subprocess.run([sys.executable, "-m", "gateway", "--config", str(config), "serve"], cwd=REPO,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr  # not a configuration error: systemd's restart may find it free
    assert f"cannot listen on 127.0.0.1:{port} (metrics.listen): the address is in use" in result.stderr
    assert f"ss -ltnp 'sport = :{port}'" in result.stderr and "check the file" not in result.stderr
