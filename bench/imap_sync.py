"""Benchmark: initial IMAP sync of N messages from a local Dovecot into the spool, beside a bare imapclient fetch.

The same folder is fetched three times, each time in a fresh child process: by a bare imapclient loop (SEARCH
ALL, then FETCH BODY.PEEK[] in batches of 100, nothing stored) as shipped, by the same loop with imaplib's debug
formatting off (what the gateway does, see imap_session.quiet_imaplib: the fair baseline), and by the gateway's
poller (spool write with fsync + ledger row per message). A second poll by the gateway must fetch nothing. Each child reports
its wall time and peak RSS. Needs root and the dovecot binary (Debian dovecot-imapd).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the test suite's Dovecot fixture class and message maker


def _populate(server, user: str, count: int, size: int) -> None:
    from imap_fixtures import make_message

    template = make_message(0, "bench", size)
    marker = template[template.index(b"<imap-") : template.index(b"@stc.example.gov.vn>")]
    from gateway.intake.imap_session import quiet_imaplib

    with server.client(user) as client:
        quiet_imaplib(client)
        for start in range(0, count, 500):
            batch = [template.replace(marker, b"<bench-%08d" % n) for n in range(start, min(count, start + 500))]
            client.multiappend("INBOX", batch)


def _child(role: str, port: int, user: str, password: str, workdir: str) -> dict:
    import imapclient  # noqa: F401 - imports are not what is measured

    import gateway.intake.imap  # noqa: F401
    import gateway.register.service  # noqa: F401

    started = time.perf_counter()
    if role.startswith("baseline"):
        import imapclient

        from gateway.intake.imap_session import quiet_imaplib

        with imapclient.IMAPClient("127.0.0.1", port=port, ssl=False) as client:
            if role == "baseline-quiet":
                quiet_imaplib(client)
            client.login(user, password)
            client.select_folder("INBOX", readonly=True)
            uids = client.search("ALL")
            fetched = 0
            for i in range(0, len(uids), 100):
                fetched += len(client.fetch(uids[i : i + 100], ["BODY.PEEK[]"]))
        result = {"fetched": fetched}
    else:
        result = _gateway_sync(port, user, password, Path(workdir))
    result.setdefault("sync_seconds", time.perf_counter() - started)
    result.update(role=role, seconds=result.pop("sync_seconds"),
                  peak_rss_mb=_peak_rss_mb())
    return result


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss it does not carry the parent's peak over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _gateway_sync(port: int, user: str, password: str, workdir: Path) -> dict:
    from gateway.core.config import Config, ImapAccountConfig, ImapConfig, PathsConfig
    from gateway.intake.imap import AccountPoller
    from gateway.intake.imap_session import session
    from gateway.intake.imap_status import StatusFile
    from gateway.register.service import Register
    from gateway.spool import Spool

    (workdir / "password").write_text(password)
    account = ImapAccountConfig(name="bench", host="127.0.0.1", port=port, tls="none", username=user,
                                password_file=str(workdir / "password"))
    config = Config(paths=PathsConfig(str(workdir / "data")), imap=ImapConfig((account,)))
    spool = Spool(config.spool_dir)
    spool.ensure()
    register = Register(config)
    register.upgrade()
    ledger = register.imap_ledger
    poller = AccountPoller(account, spool, ledger, StatusFile(config.data_dir / "imap", "bench"))
    started = time.perf_counter()  # the schema creation above is not part of a sync
    with session(account) as client:
        fetched = poller.sync(client, full=True)
    seconds = time.perf_counter() - started
    commands = poller.fetch_commands
    second_started = time.perf_counter()
    with session(account) as client:
        again = poller.sync(client, full=False)
    second = time.perf_counter() - second_started
    poller.close()
    register.close()
    return {"fetched": fetched, "sync_seconds": seconds, "second_poll_fetched": again, "second_poll_fetch_commands":
            poller.fetch_commands - commands, "second_poll_seconds": second,
            "spooled_files": spool.counts()["incoming"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=50_000, help="approximate bytes per message")
    parser.add_argument("--child", nargs=5, metavar=("ROLE", "PORT", "USER", "PASSWORD", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        role, port, user, password, workdir = args.child
        print(json.dumps(_child(role, int(port), user, password, workdir)))
        return 0

    from imap_fixtures import Dovecot

    server = Dovecot()
    try:
        server.start()
        user, password = server.add_user()
        started = time.perf_counter()
        _populate(server, user, args.messages, args.size)
        print(f"appended {args.messages} messages of ~{args.size} bytes in {time.perf_counter() - started:.1f} s")
        results = {}
        with tempfile.TemporaryDirectory(prefix="gw-imap-bench-") as workdir:
            for role in ("baseline-stock", "baseline-quiet", "gateway"):
                out = subprocess.run([sys.executable, __file__, "--child", role, str(server.port), user, password,
                                      workdir], check=True, capture_output=True, text=True, cwd=REPO).stdout
                results[role] = json.loads(out.strip().splitlines()[-1])
    finally:
        server.cleanup()
    gw = results["gateway"]
    for role, label in (("baseline-stock", "bare imapclient, stock"), ("baseline-quiet", "bare imapclient, imaplib debug off")):
        base = results[role]
        print(f"{label + ':':36} {base['fetched']} messages in {base['seconds']:.1f} s "
              f"({base['fetched'] / base['seconds']:.0f} msg/s), peak RSS {base['peak_rss_mb']:.0f} MB")
    print(f"{'gateway initial sync (spool, ledger):':36} {gw['fetched']} messages in {gw['seconds']:.1f} s "
          f"({gw['fetched'] / gw['seconds']:.0f} msg/s), peak RSS {gw['peak_rss_mb']:.0f} MB")
    print(f"ratio gateway / bare with debug off: {results['baseline-quiet']['seconds'] / gw['seconds']:.2f}")
    print(f"second poll: {gw['second_poll_fetched']} fetched, {gw['second_poll_fetch_commands']} FETCH BODY "
          f"commands, {gw['second_poll_seconds']:.2f} s")
    ok = gw["fetched"] == args.messages and gw["second_poll_fetched"] == 0 and gw["spooled_files"] == args.messages
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
