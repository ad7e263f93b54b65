"""Several hosts on one PostgreSQL register: aggregate rate of 1, 2 and 3 hosts with the same total number of
workers, blobs in PostgreSQL against the filesystem, and the time from killing the primary to the first
registration on the promoted standby.

Each configuration gets a fresh database on the PostgreSQL server at $GATEWAY_TEST_PG (default
postgresql://postgres@127.0.0.1:5432/postgres) and its own `gateway serve` processes (their own data folders and
SMTP ports on 127.0.0.1); the messages (a 2-page PDF each, as bench/pipeline.py) are spread evenly over the hosts
and timed from the first one sent until the last one is registered. The failover part makes its own primary
and synchronous streaming standby (tests/pgcluster.py: initdb, pg_basebackup -R, pg_ctl promote; root or the
postgres user), removed afterwards.

    .venv/bin/python bench/hosts.py [--messages 600] [--workers 6] [--connections 8] [--rounds 1] [--no-failover]

With --rounds N the four configurations run in turn N times (so that a noisy neighbour hurts them alike) and the
median of each is reported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from pgcluster import PgCluster, server_bin  # noqa: E402
from pipeline import build_messages, free_port, send_all, wait_port  # noqa: E402

ADMIN = os.environ.get("GATEWAY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
GOAL = 0.9  # aggregate rate of N hosts against one host, same workers in all


def count(url: str) -> int:
    try:
        with psycopg.connect(url.replace("+psycopg", ""), connect_timeout=2) as conn:
            return conn.execute("SELECT count(*) FROM documents WHERE arrival_number IS NOT NULL").fetchone()[0]
    except psycopg.OperationalError:
        return -1


def start_hosts(folder: Path, url: str, hosts: int, workers: int, blobs: str) -> tuple[list, list[int]]:
    processes, ports = [], []
    for n in range(hosts):
        home = folder / f"mx{n + 1}"
        home.mkdir(parents=True)
        port = free_port()
        config = home / "gateway.toml"
        share = workers // hosts + (1 if n < workers % hosts else 0)
        config.write_text(
            f'[paths]\ndata_dir = "{home / "data"}"\n[database]\nurl = "{url}"\nblobs = "{blobs}"\n'
            f'[host]\nname = "mx{n + 1}"\n[smtp]\nlisten = "127.0.0.1:{port}"\n'
            f'accept_recipients = ["vanthu@localhost"]\n[workers]\ncount = {share}\npoll_interval = 0.05\n'
            'retry_first = 0.3\nretry_longest = 2.0\n[trust]\nverify_dkim = "never"\n[logging]\nlevel = "WARNING"\n')
        if n == 0:  # one host creates the schema first: no race between migrations
            subprocess.run([sys.executable, "-m", "gateway", "--config", str(config), "db", "upgrade"],
                           cwd=HERE.parent, check=True, capture_output=True)
        processes.append(subprocess.Popen([sys.executable, "-m", "gateway", "--config", str(config), "serve"],
                                          cwd=HERE.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        ports.append(port)
    for port in ports:
        wait_port(port)
    return processes, ports


def stop(processes: list) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(60)


def send_spread(ports: list[int], messages: list[bytes], connections: int) -> list[threading.Thread]:
    shares = [connections // len(ports) + (1 if i < connections % len(ports) else 0) for i in range(len(ports))]
    threads = [threading.Thread(target=send_all, args=(port, messages[i::len(ports)], max(1, shares[i])))
               for i, port in enumerate(ports)]
    for thread in threads:
        thread.start()
    return threads


def run(hosts: int, workers: int, blobs: str, messages: list[bytes], connections: int) -> float:
    name = f"gateway_bench_hosts_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    folder = Path(tempfile.mkdtemp(prefix="gateway-bench-hosts-"))
    processes, ports = start_hosts(folder, url, hosts, workers, blobs)
    try:
        start = time.perf_counter()
        threads = send_spread(ports, messages, connections)
        while count(url) < len(messages):
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        for thread in threads:
            thread.join()
    finally:
        stop(processes)
        subprocess.run(["rm", "-rf", str(folder)], check=False)
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return len(messages) / elapsed


def failover(workers: int, messages: list[bytes], connections: int) -> float:
    """Seconds from the primary's death (pg_ctl stop -m immediate) to the first registration on the standby."""
    primary = PgCluster(free_port()).init()
    standby = PgCluster(free_port())
    folder = Path(tempfile.mkdtemp(prefix="gateway-bench-failover-"))
    processes: list = []
    try:
        primary.start()
        standby.standby_of(primary)
        standby.start()
        primary.create_database("gw")
        url = (f"postgresql+psycopg://postgres@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/gw"
               "?target_session_attrs=read-write&connect_timeout=2")
        processes, ports = start_hosts(folder, url, 2, workers, "database")
        threads = send_spread(ports, messages, connections)
        while count(url) < len(messages) // 4:
            time.sleep(0.02)
        primary.stop("immediate")
        killed = time.perf_counter()
        before = count(f"postgresql://postgres@127.0.0.1:{standby.port}/gw")
        standby.promote()
        while count(url) <= before:
            time.sleep(0.02)
        seconds = time.perf_counter() - killed
        for thread in threads:
            thread.join()
        while count(url) < len(messages):
            time.sleep(0.1)
        return seconds
    finally:
        stop(processes)
        primary.remove()
        standby.remove()
        subprocess.run(["rm", "-rf", str(folder)], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--workers", type=int, default=6, help="workers in all, shared out over the hosts")
    parser.add_argument("--connections", type=int, default=8, help="SMTP connections in all")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each configuration, in turn; medians")
    parser.add_argument("--no-failover", action="store_true")
    args = parser.parse_args()
    print(f"{args.messages} messages (2-page PDF), {args.workers} workers in all, {args.connections} connections, "
          f"{os.cpu_count()} CPUs, PostgreSQL at {ADMIN.rsplit('@', 1)[-1]}")
    runs: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for label, hosts, blobs in (("1 host, blobs on the filesystem", 1, "filesystem"),
                                    ("1 host, blobs in PostgreSQL", 1, "database"),
                                    ("2 hosts, blobs in PostgreSQL", 2, "database"),
                                    ("3 hosts, blobs in PostgreSQL", 3, "database")):
            rate = run(hosts, args.workers, blobs, build_messages(args.messages), args.connections)
            runs.setdefault(label, []).append(rate)
            print(f"  {label:34} {rate:6.1f} msg/s  (load average {os.getloadavg()[0]:.1f})", flush=True)
    rates = {label: statistics.median(values) for label, values in runs.items()}
    if args.rounds > 1:
        for label, rate in rates.items():
            print(f"median {label:34} {rate:6.1f} msg/s")
    one = rates["1 host, blobs in PostgreSQL"]
    print(f"blobs in PostgreSQL / filesystem, 1 host: {one / rates['1 host, blobs on the filesystem']:.2f}")
    for hosts in (2, 3):
        ratio = rates[f"{hosts} hosts, blobs in PostgreSQL"] / one
        print(f"{hosts} hosts / 1 host: {ratio:.2f} (goal ≥ {GOAL}: {'met' if ratio >= GOAL else 'NOT met'})")
    if not args.no_failover:
        if server_bin() is None:
            print("failover: skipped (no PostgreSQL server binaries)")
        else:
            seconds = failover(args.workers, build_messages(args.messages), args.connections)
            print(f"failover: first registration on the promoted standby {seconds:.1f} s after the primary died "
                  "(2 hosts; promotion by pg_ctl promote at once, as Patroni would after its check)")


if __name__ == "__main__":
    main()
