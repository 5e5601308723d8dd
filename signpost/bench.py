"""``make bench``: Signpost's speed and memory at scale, beside the straightforward version.

Builds (once) a database of N synthetic services with ``generate-demo``, then measures,
in one run: match latency in process, results-page latency, match latency and throughput
over HTTP with 2 gunicorn workers, postcode lookup time, app start time and worker memory.
Each figure is measured for the indexed matcher and for the baseline it replaced (ORM
loading plus geopy distances one by one), and the table is printed and written to
bench-results/bench.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

# Real places across Great Britain: full postcodes, districts and towns.
LOCATIONS = (
    "LS1 1BA", "LS6", "M1 1AE", "M20", "B1 1BB", "B29", "BS1 5TR", "BS7", "NE1 4ST", "NG1 5FS",
    "BN1 1AE", "TR1 2HE", "NR2 1TF", "Norwich", "Truro", "Penzance", "SW1A 1AA", "E8", "N19",
    "SE15", "Croydon", "Sheffield", "Liverpool", "Glasgow", "EH1 1YZ", "CF10 1EP", "Oxford",
    "Cambridge", "York", "Hull", "Plymouth", "Exeter", "Leicester", "Derby", "Stoke-on-Trent",
    "Bradford", "Wakefield", "Durham", "Carlisle", "Inverness",
)  # fmt: skip
NEEDS = (
    "depression", "anxiety", "panic", "social-anxiety", "trauma", "ocd", "eating-disorder",
    "personality", "self-harm", "perinatal", "bereavement", "relationships", "not-sure",
    "child-emotional", "physical-symptoms",
)  # fmt: skip
TARGETS = {
    "match_p95_ms": 25.0,
    "page_p95_ms": 50.0,
    "http_rps": 300.0,
    "postcode_ms": 0.2,
    "start_s": 2.0,
    "worker_mb": 300.0,
}


def queries(count: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        need = rng.choice(NEEDS)
        age = rng.choice((9, 15, 22, 34, 47, 63, 78)) if need != "child-emotional" else 10
        q: dict[str, object] = {"location": rng.choice(LOCATIONS), "need": need, "age": str(age)}
        if rng.random() < 0.3:
            q["relational"] = "true"
        if rng.random() < 0.2:
            q["max_cost"] = rng.choice(("0", "30"))
        out.append(q)
    return out


def percentiles(samples: Sequence[float]) -> tuple[float, float, float]:
    if len(samples) == 1:
        return samples[0], samples[0], samples[0]
    cuts = statistics.quantiles(sorted(samples), n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def env_for(database_url: str, matcher: str = "index") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="bench-only",
        SIGNPOST_MATCHER=matcher,
        SECURE_COOKIES="0",
        PUBLIC_BASE_URL="http://127.0.0.1",
        RATELIMIT_API="1000000 per minute",
        # As in production: limiter counters in Redis (the in-memory fallback is for development).
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
    )
    env.pop("FLASK_DEBUG", None)
    return env


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], env=env, cwd=ROOT, check=True)


def prepare_database(database_url: str, services: int, marker: Path) -> float | None:
    """Generate the directory once; returns the generation time when it ran."""
    if marker.exists() and marker.read_text() == f"{database_url} {services}":
        return None
    env = env_for(database_url)
    flask(env, "db", "upgrade")
    flask(env, "seed", "--no-demo")
    started = time.perf_counter()
    flask(env, "generate-demo", "--services", str(services), "--seed", "1")
    elapsed = time.perf_counter() - started
    marker.write_text(f"{database_url} {services}")
    return elapsed


def in_process(database_url: str, count: int, naive_count: int) -> dict[str, object]:
    os.environ.update(env_for(database_url))
    from werkzeug.datastructures import MultiDict

    from signpost import create_app
    from signpost.directory.search_index import get_index
    from signpost.extensions import db
    from signpost.search.params import parse_args
    from signpost.search.service import geocoder, run_search

    app = create_app({"MATCHER": "index"})
    qs = queries(count)
    figures: dict[str, object] = {}
    with app.test_request_context():
        started = time.perf_counter()
        index = get_index(db.session)
        figures["index_build_s"] = time.perf_counter() - started
        figures["services"] = len(index)
        params = [parse_args(MultiDict(q)) for q in qs]
        for p in params[:20]:
            run_search(p)
        figures["match_fast"] = [timed(lambda p=p: run_search(p)) for p in params]
        app.config["MATCHER"] = "naive"
        figures["match_naive"] = [timed(lambda p=p: run_search(p)) for p in params[:naive_count]]
        app.config["MATCHER"] = "index"

        geo = geocoder()
        sample = [
            row[0]
            for row in sqlite3.connect(app.config["POSTCODE_INDEX"]).execute(
                "SELECT pc FROM postcodes ORDER BY pc LIMIT 20000 OFFSET 500000"
            )
        ]
        for pc in sample[:1000]:
            geo.lookup_postcode(pc)
        started = time.perf_counter()
        for pc in sample:
            geo.lookup_postcode(pc)
        figures["postcode_ms"] = (time.perf_counter() - started) * 1000 / len(sample)

    client = app.test_client()
    urls = ["/search?" + urlencode(q) for q in qs]
    for url in urls[:10]:
        client.get(url)
    figures["page_fast"] = [timed(lambda u=url: client.get(u)) for url in urls]
    app.config["MATCHER"] = "naive"
    figures["page_naive"] = [timed(lambda u=url: client.get(u)) for url in urls[:naive_count]]
    return figures


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
    return (time.perf_counter() - started) * 1000


def http_load(
    database_url: str, matcher: str, seconds: float, max_requests: int, concurrency: int
) -> dict[str, object]:
    import psutil

    port = free_port()
    env = env_for(database_url, matcher)
    # The baseline loads every service through the ORM per request: give it time.
    env.update(
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        ACCESS_LOG="/dev/null",
        GUNICORN_TIMEOUT="900",
    )
    log = (ROOT / "bench-results" / f"gunicorn-{matcher}.log").open("w")
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", "python:signpost.gunicorn_conf", "wsgi:app"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                fetch(base + "/healthz")
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        urls = [base + "/api/v1/match?" + urlencode(q) for q in queries(max_requests, seed=11)]
        # Warm both workers (each builds its own index on its first search).
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(fetch, urls[:8] if matcher == "index" else urls[:2]))
        latencies: list[float] = []
        lock = threading.Lock()
        stop_at = time.perf_counter() + seconds
        counter = iter(range(len(urls)))

        def worker() -> None:
            while time.perf_counter() < stop_at:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                elapsed = fetch(urls[i])
                with lock:
                    latencies.append(elapsed)

        started = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        workers = psutil.Process(server.pid).children()
        rss = [w.memory_info().rss / 2**20 for w in workers]
        return {"latencies": latencies, "rps": len(latencies) / wall, "worker_mb": max(rss or [0])}
    finally:
        server.terminate()
        server.wait(timeout=30)


def start_time(database_url: str) -> float:
    code = "import time; t = time.perf_counter(); import wsgi; print(time.perf_counter() - t)"
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code],
                env=env_for(database_url),
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        )
        for _ in range(5)
    ]
    return statistics.median(runs)


def insights_time(database_url: str) -> tuple[float, float]:
    """`flask compute-insights --full` (every district, every need and age band), then again
    with nothing changed (the incremental path): wall seconds for each."""
    env = env_for(database_url)
    first = time.perf_counter()
    flask(env, "compute-insights", "--full")
    full = time.perf_counter() - first
    second = time.perf_counter()
    flask(env, "compute-insights")
    return full, time.perf_counter() - second


def row(
    name: str, target: str, fast: float, naive: float | None, unit: str, lower_better: bool = True
) -> str:
    if naive is None:
        return f"| {name} | {target} | {fast:.{2 if fast < 10 else 1}f} {unit} | – | – |"
    ratio = naive / fast if lower_better else fast / naive
    return (
        f"| {name} | {target} | {fast:.{2 if fast < 10 else 1}f} {unit} | "
        f"{naive:.{2 if naive < 10 else 1}f} {unit} | {ratio:,.0f}x |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Signpost benchmarks")
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--naive-queries", type=int, default=3)
    parser.add_argument("--http-seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    args = parser.parse_args(argv)
    args.out.mkdir(exist_ok=True)
    database_url = os.environ.get(
        "BENCH_DATABASE_URL", f"sqlite:///{args.out / f'bench-{args.services}.sqlite'}"
    )
    print(f"Benchmark database: {database_url}")
    generated = prepare_database(database_url, args.services, args.out / f".ready-{args.services}")

    figures = in_process(database_url, args.queries, args.naive_queries)
    print("HTTP, indexed matcher …")
    fast_http = http_load(database_url, "index", args.http_seconds, 20_000, args.concurrency)
    print("HTTP, straightforward matcher …")
    naive_http = http_load(database_url, "naive", 1.0, 2, 1)
    started = start_time(database_url)
    print("compute-insights …")
    insights_full, insights_again = insights_time(database_url)

    mf, nf = percentiles(figures["match_fast"]), percentiles(figures["match_naive"])  # type: ignore[arg-type]
    pf, npf = percentiles(figures["page_fast"]), percentiles(figures["page_naive"])  # type: ignore[arg-type]
    hf = percentiles(fast_http["latencies"])  # type: ignore[arg-type]
    hn = percentiles(naive_http["latencies"])  # type: ignore[arg-type]
    lines = [
        f"# Signpost benchmark: {figures['services']:,} services",
        "",
        f"Machine: {os.cpu_count()} cores. Database: {database_url.split(':')[0]}. "
        f"In-process: {len(figures['match_fast'])} searches (baseline: "  # type: ignore[arg-type]
        f"{len(figures['match_naive'])}); HTTP: {len(fast_http['latencies'])} requests "  # type: ignore[arg-type]
        f"over {args.http_seconds:g} s from {args.concurrency} client threads on the same machine.",
        "",
        "| Measure | Target | Signpost | Straightforward | Ratio |",
        "|---|---|---|---|---|",
        row("Match p50, in process", "", mf[0], nf[0], "ms"),
        row("Match p95, in process", "≤ 25 ms", mf[1], nf[1], "ms"),
        row("Match p99, in process", "", mf[2], nf[2], "ms"),
        row("Results page p95, in process", "≤ 50 ms", pf[1], npf[1], "ms"),
        row("Match p50 over HTTP (2 workers)", "", hf[0], hn[0], "ms"),
        row("Match p95 over HTTP (2 workers)", "", hf[1], hn[1], "ms"),
        row("Match p99 over HTTP (2 workers)", "", hf[2], hn[2], "ms"),
        row(
            "Match requests/s (2 workers)",
            "≥ 300/s",
            fast_http["rps"],
            naive_http["rps"],
            "/s",
            lower_better=False,
        ),  # type: ignore[arg-type]
        row("Postcode lookup, warm", "≤ 0.2 ms", figures["postcode_ms"], None, "ms"),  # type: ignore[arg-type]
        row("App start (import + create_app)", "≤ 2 s", started, None, "s"),
        row(
            "Worker memory (RSS, after load)",
            "≤ 300 MB",
            fast_http["worker_mb"],
            naive_http["worker_mb"],
            "MB",
        ),  # type: ignore[arg-type]
        row("Index build per worker", "", figures["index_build_s"], None, "s"),  # type: ignore[arg-type]
        row("compute-insights --full (every district)", "minutes", insights_full, None, "s"),
        row("compute-insights, nothing changed", "", insights_again, None, "s"),
    ]
    if generated is not None:
        lines.append(
            row(f"generate-demo --services {args.services}", "< 120 s", generated, None, "s")
        )
    table = "\n".join(lines) + "\n"
    print(table)
    (args.out / "bench.md").write_text(table)
    (args.out / "bench.json").write_text(
        json.dumps({k: v for k, v in figures.items() if not isinstance(v, list)}, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
