"""Load on one tracking server process: many clients logging series at once, and the fetch
of a long series over HTTP.

    .venv/bin/python bench/server.py                       # 50 clients x 10 series x 30 s
    .venv/bin/python bench/server.py --clients 10 --seconds 5
    .venv/bin/python bench/server.py --postgres                # a throwaway PostgreSQL
    .venv/bin/python bench/server.py --database postgresql://USER@HOST/DB

Starts `nepnb server` (SQLite in a temp folder unless --database) on a loopback port, makes
a token for a service account that is a contributor of the project, then runs the clients
as threads of this process, each with its own HTTP store (own connections), each sending a
batch of ``--points`` points to each of ``--series`` float series every ``--period``
seconds (an async run's writer ships its queue in such batches), until the time is up;
``--period 0`` sends back to back to find the ceiling. Reports the points ingested per
second in the steady state (after the first period, in which the clients start at random
moments) next to the points offered, batches per second, p50/p99 batch latency (request to
acknowledged commit), the server's peak RSS (with ``--workers``: all its processes), and
the time to fetch a ``--fetch-points`` series (and a 1,000-bucket downsample of it) over
HTTP. Targets (issue 8): >= 1,000,000 points/s, p99 < 200 ms, a 1,000,000-point fetch
< 0.5 s.
"""

# ruff: noqa: E402  (imports follow the sys.path fix below)
from __future__ import annotations

import sys
from pathlib import Path

# bench/logging.py would shadow the standard library's logging: import from the repo root.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import contextlib
import json
import random
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any

import httpx
import numpy as np
import psutil

from bench._report import machine_info, render
from nepnb.server.auth import Identity, decode_token
from nepnb.server.database import make_engine, migrate
from nepnb.server.sql import SQLStore
from nepnb.store.base import ObjectKind
from nepnb.store.field_types import FieldType
from nepnb.store.http import HTTPStore
from nepnb.store.operations import Batch, Operation, OpKind, SeriesPoints

PROJECT = "bench/server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    database: str, folder: Path, workers: int = 1
) -> tuple[subprocess.Popen[bytes], str, str]:
    """The server process, its URL and the API key of a service account that is a
    contributor of the project (as a team's training jobs would be: access is checked on
    every request, not waved through as for an admin)."""
    engine = make_engine(database)
    migrate(engine)
    SQLStore(engine, folder / "blobs").get_project(PROJECT, create=True)
    identity = Identity(engine)
    name = f"bench-{int(time.time())}"
    identity.create_account(name, kind="service")
    identity.grant(PROJECT, name, "contributor")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    key = decode_token(identity.issue_token(name, api_url=url)[1])[1]
    engine.dispose()
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - open while the server runs
    process = subprocess.Popen(
        [sys.executable, "-m", "nepnb", "server", "--database", database, "--blobs",
         str(folder / "blobs"), "--port", str(port), "--log-level", "warning",
         # only when asked: a server of an older version (a baseline) has no --workers
         *(["--workers", str(workers)] if workers != 1 else [])],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return process, url, key
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the server did not start:\n{(folder / 'server.log').read_text()[-3000:]}")


def batch_of(series: int, points: int, first_step: int) -> Batch:
    steps = np.arange(first_step, first_step + points, dtype=np.float64)
    values = np.sin(steps / 100.0)
    stamps = np.full(points, time.time())
    return Batch(
        [
            Operation(
                OpKind.LOG,
                f"metrics/s{i}",
                FieldType.FLOAT_SERIES,
                SeriesPoints(steps, values + i, stamps),
            )
            for i in range(series)
        ]
    )


def client(
    url: str,
    key: str,
    series: int,
    points: int,
    period: float,
    deadline: float,
    out: dict[str, Any],
) -> None:
    """One client: a batch of ``points`` points per series every ``period`` seconds (as an
    async run's writer ships), or back to back when ``period`` is 0."""
    store = HTTPStore(url, key, retry_for=30)
    run = store.create_object(PROJECT, ObjectKind.RUN)
    latencies: list[float] = []
    acks: list[float] = []  # when each batch was stored
    stored = 0
    step = 0
    next_send = time.monotonic() + random.random() * period  # clients do not send in step
    while time.monotonic() < deadline:
        if period:
            pause = next_send - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            next_send += period
        batch = batch_of(series, points, step)
        began = time.perf_counter()
        result = store.apply(run.uid, batch)
        latencies.append(time.perf_counter() - began)
        acks.append(time.monotonic())
        assert not result.rejected, result.rejected[:3]
        stored += series * points
        step += points
    out["latencies"] = latencies
    out["acks"] = acks
    out["points"] = stored
    store.close()


def peak_rss(pid: int, stop: threading.Event, out: dict[str, int]) -> None:
    process = psutil.Process(pid)
    out["rss"] = 0
    while not stop.wait(0.25):
        try:  # with --workers: the supervisor and its workers together
            family = [process, *process.children(recursive=True)]
            out["rss"] = max(out["rss"], sum(p.memory_info().rss for p in family))
        except psutil.Error:
            return


def fetch(url: str, key: str, points: int) -> dict[str, float]:
    store = HTTPStore(url, key, retry_for=30)
    run = store.create_object(PROJECT, ObjectKind.RUN)
    for start in range(0, points, 100_000):
        n = min(100_000, points - start)
        store.apply(run.uid, batch_of(1, n, start))
    timings: dict[str, float] = {}
    for name, call in (
        ("fetch", lambda: store.read_series(run.uid, "metrics/s0")),
        ("buckets", lambda: store.read_series_buckets(run.uid, "metrics/s0", buckets=1000)),
    ):
        best = float("inf")
        for _ in range(3):
            began = time.perf_counter()
            got = call()
            best = min(best, time.perf_counter() - began)
        if name == "fetch":
            assert len(got) == points
        timings[name] = best
    store.close()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--series", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--points", type=int, default=2000, help="points per series per batch")
    parser.add_argument(
        "--period",
        type=float,
        default=1.0,
        help="seconds between a client's batches (0: back to back, to find the ceiling); "
        "the default offers clients x series x points points/s: 1,000,000",
    )
    parser.add_argument("--fetch-points", type=int, default=1_000_000)
    parser.add_argument("--database", default=None, help="default: SQLite in a temp folder")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="start a throwaway PostgreSQL (Debian's postgresql package) and use it",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (nepnb server --workers)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nepnb-bench-")))
        if args.postgres:  # a throwaway PostgreSQL, as the tests start one
            from tests.helpers.servers import running_postgres

            database = stack.enter_context(running_postgres(folder / "postgres"))
        else:
            database = args.database or f"sqlite:///{folder / 'server.db'}"
        process, url, key = start_server(database, folder, args.workers)
        stop = threading.Event()
        memory: dict[str, int] = {}
        watcher = threading.Thread(target=peak_rss, args=(process.pid, stop, memory))
        watcher.start()
        try:
            results: list[dict[str, Any]] = [{} for _ in range(args.clients)]
            began = time.monotonic()
            deadline = began + args.seconds
            threads = [
                threading.Thread(
                    target=client,
                    args=(url, key, args.series, args.points, args.period, deadline, out),
                )
                for out in results
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - began
            timings = fetch(url, key, args.fetch_points)
        finally:
            stop.set()
            watcher.join()
            process.terminate()
            process.wait(timeout=30)

    latencies = np.array([x for r in results for x in r.get("latencies", [])])
    # Ingest rate in the steady state: batches stored after every client's first period (the
    # clients start at random moments within it) and before the deadline.
    window = (began + max(args.period, 1.0), deadline)
    per_batch = args.series * args.points
    in_window = sum(window[0] <= t < window[1] for r in results for t in r.get("acks", []))
    points_per_second = in_window * per_batch / (window[1] - window[0])
    figures = {
        "clients": args.clients,
        "series_per_client": args.series,
        "points_per_series_per_batch": args.points,
        "period": args.period,
        "seconds": round(elapsed, 2),
        "points_per_second": points_per_second,
        "points_offered_per_second": (
            args.clients * per_batch / args.period if args.period else None
        ),
        "batches_per_second": len(latencies) / elapsed,
        "p50_batch_ms": float(np.percentile(latencies, 50) * 1000),
        "p99_batch_ms": float(np.percentile(latencies, 99) * 1000),
        "server_peak_rss_mb": memory.get("rss", 0) / 2**20,
        "fetch_points": args.fetch_points,
        "fetch_seconds": timings["fetch"],
        "buckets_1000_seconds": timings["buckets"],
        "database": "postgresql" if database.startswith("postgres") else "sqlite",
        "workers": args.workers,
        "machine": machine_info(),
    }
    rows = [
        ["ingest points/s", f"{figures['points_per_second']:,.0f}", ">= 1,000,000"],
        [
            "  offered points/s",
            f"{figures['points_offered_per_second']:,.0f}" if args.period else "as fast as acked",
            "",
        ],
        ["ingest batches/s", f"{figures['batches_per_second']:,.1f}", ""],
        ["batch latency p50 ms", f"{figures['p50_batch_ms']:.1f}", ""],
        ["batch latency p99 ms", f"{figures['p99_batch_ms']:.1f}", "< 200"],
        ["server peak RSS MB", f"{figures['server_peak_rss_mb']:.0f}", ""],
        [f"fetch {args.fetch_points:,} points s", f"{figures['fetch_seconds']:.3f}", "< 0.5"],
        ["downsample to 1,000 buckets s", f"{figures['buckets_1000_seconds']:.3f}", ""],
    ]
    print(
        f"{args.clients} clients x {args.series} series x {args.points} points per batch "
        f"every {args.period} s, "
        f"{elapsed:.1f} s, {figures['database']}, "
        f"{'one server process' if args.workers == 1 else f'{args.workers} server workers'}, "
        f"{figures['machine']['cpus_usable']} CPUs"
    )
    print(render(["measure", "nepnb", "target"], rows))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
