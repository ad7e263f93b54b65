"""The unit's memory limit: MemoryMax written for the worker count, and the reading child as the one the kernel
kills when the service reaches it."""

from __future__ import annotations

import os

from click.testing import CliRunner
from conftest import write_config
from docgen import make_message, make_pdf

from gateway.cli import main
from gateway.core.config import LimitsConfig
from gateway.mail.parse import parse_message
from gateway.ops.memory import DAEMON_MIB, WORKER_MIB
from gateway.runtime.sandbox import OOM_SCORE_ADJ, IsolatedExtractor


def _dropin(config) -> dict[str, str]:
    result = CliRunner().invoke(main, ["--config", str(config), "config", "memory"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-2] == "[Service]", result.output
    key, _, value = lines[-1].partition("=")
    return {key: value, "text": result.output}


def test_config_memory_sizes_memorymax_by_the_worker_count(tmp_path):
    three = _dropin(write_config(tmp_path, 2525, workers=3))
    assert three["MemoryMax"] == f"{DAEMON_MIB + 3 * WORKER_MIB}M"
    assert f"{DAEMON_MIB} MiB (tiến trình serve) + 3 × {WORKER_MIB} MiB" in three["text"]
    per_cpu = _dropin(write_config(tmp_path, 2525, workers=0))  # 0: one worker per CPU of this machine
    assert per_cpu["MemoryMax"] == f"{DAEMON_MIB + (os.cpu_count() or 1) * WORKER_MIB}M"


def test_the_reading_child_is_the_first_the_kernel_kills(tmp_path):
    raw = make_message("Công văn", "Kính gửi.", [("cv.pdf", make_pdf(["Nội dung"]), "application/pdf")])
    limits = LimitsConfig()
    extractor = IsolatedExtractor(limits)
    try:
        extracted = extractor.extract(parse_message(raw, limits))
        assert extracted.texts[0].status == "ok"
        child = extractor._process.pid
        with open(f"/proc/{child}/oom_score_adj", encoding="ascii") as handle:
            assert int(handle.read()) == OOM_SCORE_ADJ == 1000
        with open(f"/proc/{os.getpid()}/oom_score_adj", encoding="ascii") as handle:
            assert int(handle.read()) < OOM_SCORE_ADJ  # the worker itself keeps its score
    finally:
        extractor.close()
