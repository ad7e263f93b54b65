"""PostgreSQL clusters of a test's own, on free loopback ports: started, stopped, killed and (for a standby)
promoted by the test, removed afterwards. Uses Debian's server binaries; as root they run as `postgres`."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg


def server_bin() -> Path | None:
    """The folder of the newest installed PostgreSQL server binaries (initdb, pg_ctl), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


class PgCluster:
    """One cluster: a data folder, a port, trust authentication on 127.0.0.1 only."""

    def __init__(self, port: int, root: Path | None = None) -> None:
        self.bin = server_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL server binaries are not installed (apt-get install postgresql)")
        # Not under pytest's tmp_path: the `postgres` user must be able to reach the folder.
        self.root = Path(root or tempfile.mkdtemp(prefix="gateway-pg-"))
        self.data = self.root / "data"
        self.port = port
        self._as_postgres = os.geteuid() == 0

    def _run(self, *argv: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=timeout)

    def init(self) -> PgCluster:
        """Create the cluster (fsync off: a test's data need not survive a power cut)."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = "
                       f"'{self.root}'\nfsync = off\nmax_connections = 100\n")
        return self

    def standby_of(self, primary: PgCluster) -> PgCluster:
        """Make this cluster a streaming standby of ``primary`` (pg_basebackup -R), on its own port; the primary
        waits for it at each commit (synchronous_standby_names), so a failover loses nothing acknowledged."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-D",
                  str(self.data), "-R", "-X", "stream", "-c", "fast", "--no-sync")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"\nport = {self.port}\nunix_socket_directories = '{self.root}'\n"
                       "synchronous_standby_names = ''\n")  # once promoted, it has no standby to wait for
        with open(primary.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\nsynchronous_standby_names = '*'\n")
        primary._run("pg_ctl", "-D", str(primary.data), "reload")
        return self

    def promote(self) -> None:
        """Turn the standby into a primary (what Patroni or repmgr does on a failover)."""
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "promote")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (mode "immediate" is as abrupt as a crash)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new database in the cluster; its SQLAlchemy URL."""
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        """Stop the server at once and delete the cluster's folder."""
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
