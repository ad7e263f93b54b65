"""scripts/setup on a checkout whose first run was interrupted: the broken .venv is made again and the package
installed, without touching this machine's Debian packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

PROJECT = """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "setup-probe"
version = "1.0"

[tool.setuptools]
py-modules = ["setup_probe"]
"""


@pytest.fixture
def checkout(tmp_path):
    """A small project with this repository's scripts/setup, and a dpkg-query that finds every package."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "setup", root / "scripts" / "setup")
    (root / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    (root / "setup_probe.py").write_text("READY = True\n", encoding="utf-8")
    shims = tmp_path / "shims"
    shims.mkdir()
    dpkg = shims / "dpkg-query"
    dpkg.write_text("#!/bin/sh\nprintf 'install ok installed'\n", encoding="utf-8")
    dpkg.chmod(0o755)
    python = shutil.which("python3")
    if python is None:
        pytest.skip("no python3 on PATH")
    return root, {**os.environ, "PATH": f"{shims}:{os.environ['PATH']}"}


def _setup(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(root / "scripts" / "setup")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=600)


def _probe(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(root / ".venv" / "bin" / "python"), "-c", "import setup_probe, pip"],
                          capture_output=True, text=True, cwd=root / "scripts", timeout=60)


def test_setup_makes_again_a_venv_left_without_pip(checkout):
    root, env = checkout
    # What an interrupted first `scripts/run` leaves: the venv made, pip never bootstrapped into it.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True, timeout=120)
    assert _probe(root).returncode != 0
    result = _setup(root, env)
    assert result.returncode == 0, result.stderr
    assert "making it again" in result.stderr
    assert _probe(root).returncode == 0, _probe(root).stderr
    again = _setup(root, env)  # a sound venv is kept as it is
    assert again.returncode == 0 and "making it again" not in again.stderr, again.stderr
