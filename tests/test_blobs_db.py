"""Blobs kept in the register database (database.blobs = "database"): written in the registering transaction,
read, verified, deleted, and moved between the two stores."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_register_support import database_url, make_arrival, make_config  # noqa: F401 (fixtures)

from gateway.core.config import DatabaseConfig
from gateway.core.errors import NotFound
from gateway.register.blobs import DatabaseBlobs
from gateway.register.models import StoredBlob
from gateway.register.service import Register


def _register(tmp_path: Path, url: str, blobs: str) -> Register:
    config = make_config(tmp_path, url)
    register = Register(dataclasses.replace(config, database=DatabaseConfig(url=url, blobs=blobs)))
    register.upgrade()
    return register


def _files(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "data" / "blobs").rglob("*") if p.is_file()]


def test_a_registration_writes_its_blobs_in_its_own_transaction(database_url: str, tmp_path: Path) -> None:  # noqa: F811
    register = _register(tmp_path, database_url, "database")
    try:
        assert isinstance(register.blobs, DatabaseBlobs)
        arrival = make_arrival("0001", attachment_text="Kế hoạch số 12 về chuyển đổi số")
        register.register_arrival(arrival)
        raw_sha = hashlib.sha256(arrival.spooled.raw).hexdigest()
        part_sha = arrival.extracted.message.parts[0].sha256
        assert register.blobs.get(raw_sha) == arrival.spooled.raw
        assert sorted(register.blobs.shas()) == sorted({raw_sha, part_sha})
        assert _files(tmp_path) == []
        report = register.verify_audit()
        assert report.first_break == "" and report.blobs == 2

        # A transaction that fails after writing its blobs leaves none behind.
        orphan = "bản nháp không được vào sổ".encode()
        with pytest.raises(RuntimeError), register.transaction() as conn:
            register.blobs.put_within(conn, [orphan])
            raise RuntimeError("rolled back")
        assert not register.blobs.exists(hashlib.sha256(orphan).hexdigest())

        # The same bytes again (a duplicate arrival) store nothing new.
        register.register_arrival(make_arrival("0002", raw=arrival.spooled.raw, message_id=arrival.extracted.message.message_id))
        with register.db.reading() as conn:
            assert conn.scalar(sa.select(sa.func.count()).select_from(StoredBlob)) == 2

        assert register.blobs.delete(part_sha) and not register.blobs.delete(part_sha)
        with pytest.raises(NotFound):
            register.blobs.get(part_sha)
        assert "tệp lưu" in register.verify_audit().first_break
    finally:
        register.close()


def test_blobs_move_to_the_database_and_back(database_url: str, tmp_path: Path) -> None:  # noqa: F811
    on_files = _register(tmp_path, database_url, "filesystem")
    try:
        for n in range(3):
            on_files.register_arrival(make_arrival(f"000{n}", attachment_text=f"Báo cáo số {n}"))
        before = {sha: on_files.blobs.get(sha) for sha in on_files.blobs.shas()}
        assert len(before) == 6 and len(_files(tmp_path)) == 6
        moved = on_files.move_blobs("database")
        assert (moved.found, moved.copied, moved.removed) == (6, 6, 6) and _files(tmp_path) == []
        assert on_files.move_blobs("database").found == 0  # nothing left to move: running it again is harmless
    finally:
        on_files.close()
    in_db = _register(tmp_path, database_url, "database")
    try:
        assert {sha: in_db.blobs.get(sha) for sha in in_db.blobs.shas()} == before
        assert in_db.verify_audit().first_break == ""
        kept = in_db.move_blobs("filesystem", remove=False)
        assert (kept.copied, kept.removed) == (6, 0) and len(_files(tmp_path)) == 6
        assert sorted(in_db.blobs.shas()) == sorted(before)
    finally:
        in_db.close()


def test_the_move_blobs_command(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from conftest import write_config

    from gateway.cli import main
    from gateway.core.config import load_config

    config_path = write_config(tmp_path, 2525)
    register = Register(load_config(config_path))
    register.upgrade()
    try:
        register.register_arrival(make_arrival("0001", attachment_text="Giấy mời họp"))
    finally:
        register.close()
    result = CliRunner().invoke(main, ["--config", str(config_path), "db", "move-blobs", "--to", "database"])
    assert result.exit_code == 0, result.output
    assert "2 tệp, 2 tệp mới chép, 2 tệp đã xoá" in result.output
    assert 'database.blobs = "database"' in result.output  # the config still says filesystem
    assert _files(tmp_path) == []
    result = CliRunner().invoke(main, ["--config", str(config_path), "audit", "verify"])
    assert result.exit_code == 1  # the config still points at the (now empty) folder: the files are missed
