"""CPU per message of each stage of the worker's path, in one process, over bench/pipeline.py's messages.

The messages are spooled first (not timed), then a worker's loop (claim a batch, process_batch, number the
waiting) runs over them with `time.process_time` around each stage (user + system CPU of this process; the
blob threads' CPU counts in their stage). With the reading child (the default) its CPU per message is printed
from /proc; with --in-process its stages are timed here too. --cprofile FILE also writes a cProfile (CPU
clock) of the timed part.

    .venv/bin/python bench/pipeline_stages.py [--messages 300] [--in-process] [--cprofile /tmp/worker.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import functools
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from pipeline import build_messages  # noqa: E402

CPU: dict[str, float] = {}
CALLS: dict[str, int] = {}
STAGES = [  # (module, attribute, label): wrapped where the pipeline looks them up
    ("gateway.runtime.pipeline", "message_limit_hit", "limits check"),
    ("gateway.runtime.pipeline", "parse_message", "MIME parse"),
    ("gateway.runtime.pipeline", "classify", "automatic-mail check"),
    ("gateway.runtime.pipeline", "check_sender", "trust check"),
    ("gateway.runtime.pipeline", "read_isolated", "read (extract + fields; the worker's side when isolated)"),
    ("gateway.register.blobs", "BlobStore.put_before", "blobs (write, fsync, rename, folder fsync)"),
    ("gateway.register.arrivals", "NewArrival.index_text", "index text, two forms"),
    ("gateway.register.arrivals", "ArrivalWriter.write", "registering statements"),
    ("gateway.register.db", "Database.transaction", "transaction (begin, commit)"),
    ("gateway.register.service", "Register.register_batch", "register_batch (blobs, index text, statements, commit)"),
    ("gateway.spool.queue", "Spool.claim_batch", "spool claim"),
    ("gateway.spool.queue", "Spool.finish", "spool finish"),
    ("gateway.spool.queue", "Spool.watermark", "spool watermark"),
    ("gateway.runtime.worker", "number_waiting", "numbering pass after the batch"),
]


def _wrap(module: str, attribute: str, label: str) -> None:
    owner = importlib.import_module(module)
    *path, name = attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = getattr(owner, name)

    if label.startswith("transaction"):  # a context manager: time entering and leaving
        import contextlib

        @contextlib.contextmanager
        def timed_cm(*args, **kwargs):
            start = time.process_time()
            with original(*args, **kwargs) as value:
                CPU[label] = CPU.get(label, 0.0) + time.process_time() - start
                yield value
                start = time.process_time()
            CPU[label] = CPU.get(label, 0.0) + time.process_time() - start
        setattr(owner, name, timed_cm)
        return

    @functools.wraps(original)
    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            CPU[label] = CPU.get(label, 0.0) + time.process_time() - start
            CALLS[label] = CALLS.get(label, 0) + 1
    setattr(owner, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--in-process", action="store_true", help="read attachments in this process")
    parser.add_argument("--cprofile", default="", help="write a cProfile of the timed part here")
    args = parser.parse_args()
    warm = 16

    import sqlalchemy as sa

    from gateway.core.config import load_config
    from gateway.core.values import Envelope
    from gateway.register.service import Register
    from gateway.runtime import worker
    from gateway.runtime.pipeline import process_batch
    from gateway.spool import Spool

    for module, attribute, label in STAGES:
        _wrap(module, attribute, label)
    statements = [0]
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))

    messages = build_messages(args.messages + warm)
    folder = Path(tempfile.mkdtemp(prefix="gateway-stages-"))
    config_file = folder / "gateway.toml"
    config_file.write_text(
        f'[paths]\ndata_dir = "{folder / "data"}"\n[smtp]\naccept_recipients = ["vanthu@localhost"]\n'
        f'[workers]\ncount = 1\nbatch_size = {args.batch_size}\n'
        f'[limits]\nextract_isolated = {"false" if args.in_process else "true"}\n'
        '[trust]\nverify_dkim = "never"\n[logging]\nlevel = "WARNING"\n')
    config = load_config(config_file)
    register = Register(config)
    register.upgrade()
    register.close()
    register = Register.open(config)
    spool = Spool.from_config(config)
    spool.ensure()
    for raw in messages:
        spool.put(raw, Envelope(source="smtp", received_at=dt.datetime.now(dt.timezone.utc),
                                mail_from="vanthu@ubnd.example.gov.vn", rcpt_tos=("vanthu@localhost",),
                                peer="127.0.0.1:25", helo="bench"))

    def drain(limit: int) -> int:
        done = 0
        while done < limit:
            batch = spool.claim_batch(args.batch_size, 1)
            if not batch:
                break
            process_batch(batch, spool, register, config, None)
            worker.number_waiting(register, spool)
            done += len(batch)
        return done

    drain(warm)
    CPU.clear()
    CALLS.clear()
    statements[0] = 0
    profile = cProfile.Profile(time.process_time) if args.cprofile else None
    child_before = _child_cpu()
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    if profile:
        profile.enable()
    count = drain(args.messages)
    if profile:
        profile.disable()
        profile.dump_stats(args.cprofile)
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    child = _child_cpu() - child_before
    register.close()
    print(f"{count} messages: worker process {cpu * 1000 / count:.2f} ms CPU/msg, {wall * 1000 / count:.2f} ms "
          f"wall/msg; {statements[0] / count:.1f} SQL statements/msg"
          + ("" if args.in_process else f"; reading child {child * 1000 / count:.2f} ms CPU/msg"))
    for label, seconds in sorted(CPU.items(), key=lambda item: -item[1]):
        print(f"  {seconds * 1000 / count:6.2f} ms/msg  {label}")


def _child_cpu() -> float:
    """CPU seconds (user + system) used so far by this process's reading children."""
    from gateway.runtime.sandbox import _EXTRACTORS

    total = 0.0
    for extractor in _EXTRACTORS.values():
        if extractor._process is None:
            continue
        try:
            fields = Path(f"/proc/{extractor._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


if __name__ == "__main__":
    main()
