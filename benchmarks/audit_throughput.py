"""How many audited writes per second flow with concurrent writers, and how fast
the background step seals them into the hash chain.

Usage (PostgreSQL recommended; the numbers in docs/performance.md come from it):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yorisou_bench \\
        .venv/bin/python benchmarks/audit_throughput.py --threads 8 --seconds 5

It migrates the database named by DATABASE_URL, writes events from N threads for
the given time (each in its own transaction, as services do), then seals them all.
Only events it wrote are counted; the table is left as it was apart from them.
"""

import argparse
import os
import threading
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--inline-seal",
        action="store_true",
        help="let writers trigger sealing as in the one-process demo "
        "(default: sealing waits, as when a separate worker does it)",
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yorisou.conf.dev")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection, connections, transaction

    from yorisou.core import audit
    from yorisou.core.models import AuditEvent
    from yorisou.core.permissions import SYSTEM

    call_command("migrate", verbosity=0)
    if not args.inline_seal:
        # Hold the debounce key: writers schedule no seal, as with a remote worker.
        cache.set(audit._SEAL_PENDING_KEY, 1, timeout=3600)
    audit.seal()
    start_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    counts = [0] * args.threads
    stop = time.monotonic() + args.seconds

    def writer(index: int) -> None:
        while time.monotonic() < stop:
            with transaction.atomic():
                audit.record(
                    actor=SYSTEM,
                    action="bench.write",
                    target_repr=f"writer {index}",
                    changes={"n": [counts[index], counts[index] + 1]},
                )
            counts[index] += 1
        connections.close_all()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(args.threads)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    written = sum(counts)
    cache.delete(audit._SEAL_PENDING_KEY)
    seal_began = time.monotonic()
    sealed = audit.seal()
    seal_time = time.monotonic() - seal_began
    verify_began = time.monotonic()
    result = audit.verify()
    verify_time = time.monotonic() - verify_began

    print(f"database: {connection.vendor}")
    mode = "inline" if args.inline_seal else "deferred"
    print(f"writers: {args.threads} threads for {elapsed:.1f} s (sealing {mode})")
    print(f"audited writes: {written} ({written / elapsed:.0f}/s)")
    print(
        f"sealed afterwards: {sealed} in {seal_time:.2f} s ({sealed / seal_time:.0f}/s)"
    )
    print(f"verify: {result.checked} events in {verify_time:.2f} s, ok={result.ok}")
    print(f"first new event id after: {start_id}")


if __name__ == "__main__":
    main()
