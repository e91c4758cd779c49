"""The dashboard under load: gunicorn with two workers, concurrent users firing Dash callbacks.

    python benchmarks/bench_dashboard_load.py --db data/matavla.duckdb [--lan 05] [--users 10,50]

1. Start-up: one worker's start (importing the app and `create_app`, which reads the database
   once) is timed in a fresh process, with its peak RSS; median of `--starts` runs.
2. Assets: what the first page loads (scripts and styles), raw and as served compressed.
3. Load: gunicorn (`--workers 2`, sync workers, as the README deploys it) serves `app:server`;
   each simulated user is a thread that sends the page callbacks a browser sends when a page
   opens or a control changes (Länsöversikt, Kommun, Jämför, Indikator for every län given, and
   Riket with `--riket`), one after the other, for `--seconds`. p50/p95/max of the answers are
   printed per user count, and the CPU time the workers used per answer (latency on a shared
   machine depends on what else runs; the CPU per answer much less).

The callbacks' payloads are built from the app's own callback map, so they match what Dash's
renderer posts to `/_dash-update-component`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STARTUP_SCRIPT = """
import resource, sys, time
started = time.perf_counter()
from metrics.dashboard.server import create_app
imported = time.perf_counter()
cpu_imported = time.process_time()
create_app(sys.argv[1], sys.argv[2])
ended = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu_build = time.process_time() - cpu_imported
rss = usage.ru_maxrss / 1024
print(f"{imported - started:.3f} {ended - imported:.3f} {cpu_imported:.3f} {cpu_build:.3f} {rss:.0f}")
"""


def startup(db: Path, catalog: Path, runs: int) -> None:
    rows = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", STARTUP_SCRIPT, str(db), str(catalog)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        rows.append(tuple(float(x) for x in out[-5:]))
    imports, build, cpu_imports, cpu_build, rss = (statistics.median(col) for col in zip(*rows, strict=True))
    print(
        f"Start av en arbetsprocess (median av {runs}): import {imports:.2f} s + create_app {build:.2f} s "
        f"= {imports + build:.2f} s (CPU-tid {cpu_imports:.2f} + {cpu_build:.2f} s), topp-RSS {rss:.0f} MB"
    )


def assets(port: int) -> None:
    def get(path: str, encoding: str) -> tuple[int, str | None]:
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        con.request("GET", path, headers={"Accept-Encoding": encoding})
        response = con.getresponse()
        body = response.read()
        con.close()
        return len(body), response.getheader("Content-Encoding")

    con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    con.request("GET", "/")
    page = con.getresponse().read().decode()
    con.close()
    paths = re.findall(r'<script src="(/[^"]+)"', page) + re.findall(
        r'<link rel="stylesheet" href="(/[^"]+)"', page
    )
    raw = gz = br = 0
    grid = 0
    for path in paths:
        size, _ = get(path, "identity")
        raw += size
        gz += get(path, "gzip")[0]
        br += get(path, "br, gzip")[0]
        if "dash_ag_grid" in path:
            grid += size
    print(
        f"Första sidans skript och stilar: {len(paths)} filer, {raw / 1e6:.2f} MB okomprimerat, "
        f"{gz / 1e6:.2f} MB gzip, {br / 1e6:.2f} MB brotli (varav AG Grid {grid / 1e6:.2f} MB okomprimerat)"
    )


def replicated(db: Path, spec: str, *, reuse: bool = False) -> Path:
    """`--replicate FROM:TO`: the copy of `db` beside it with län TO given län FROM's rows
    (`replicate_lan`); `reuse`: an earlier copy is taken as it is."""
    from_lan, to_lan = spec.split(":")
    copy = db.with_name(f"{db.stem}-{to_lan}{db.suffix}")
    if reuse and copy.exists():
        return copy
    return replicate_lan(db, copy, from_lan, to_lan)


def replicate_lan(source: Path, target: Path, from_lan: str, to_lan: str) -> Path:
    """A copy of the database with `to_lan`'s kommuner given `from_lan`'s results, cycled.

    The demo has Östergötland (13 kommuner) and Jämtland; a 49-kommun län (Västra Götaland) is
    benchmarked with the Östergötland kommuner's rows copied onto its 49 kommun codes (kommun
    i gets the rows of Östergötland's kommun i mod 13) and the län's own rows onto `to_lan`. The
    values are copies; the page's shape (49 kommuner × indicators × periods) is the real one.
    """
    import shutil

    import duckdb

    from metrics.geography import load_geography

    geography = load_geography()
    sources = sorted(c for c, k in geography.kommuner.items() if k.lan == from_lan)
    targets = sorted(c for c, k in geography.kommuner.items() if k.lan == to_lan)
    pairs = [(sources[i % len(sources)], code) for i, code in enumerate(targets)] + [(from_lan, to_lan)]
    shutil.copy(source, target)
    con = duckdb.connect(str(target))
    try:
        values = ", ".join(f"('{a}', '{b}')" for a, b in pairs)
        columns = [r[0] for r in con.execute("DESCRIBE results").fetchall()]
        chosen = ", ".join("m.new_code" if c == "area_code" else f"r.{c}" for c in columns)
        con.execute(
            f"INSERT INTO results SELECT {chosen} FROM results AS r "
            f"JOIN (VALUES {values}) AS m(old, new_code) "
            "ON r.area_code = m.old AND r.area_level IN ('kommun', 'lan')"
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return target


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(port: int, proc: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn avslutades (kod {proc.returncode})")
        try:
            con = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            con.request("GET", "/_dash-layout")
            if con.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn svarade inte")


def callback_payloads(
    db: Path, catalog: Path, lans: list[str], *, riket: bool = False
) -> list[tuple[str, bytes]]:
    """(name, body) of the callbacks a browser sends, from the app's callback map; with `riket`,
    the riket page's too."""
    from dash import _callback

    from metrics.dashboard.logic.choices import largest_kommun
    from metrics.dashboard.logic.periods import latest_year
    from metrics.dashboard.server import create_app
    from metrics.dashboard.source.context import catalogue, current_snapshot

    app = create_app(db, catalog)
    by_output: dict[str, dict[str, Any]] = {}
    # the pages' callbacks are in Dash's global map until the first request hands them to the app
    for key, spec in {**_callback.GLOBAL_CALLBACK_MAP, **app.callback_map}.items():
        first = key.strip(".").split("...")[0]
        by_output[first] = {"key": key, **spec}

    def body(first_output: str, values: dict[str, Any]) -> bytes:
        spec = by_output[first_output]
        outputs = [
            {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
            for part in spec["key"].strip(".").split("...")
        ]

        def filled(items: list[dict[str, str]]) -> list[dict[str, Any]]:
            return [{**item, "value": values.get(f"{item['id']}.{item['property']}")} for item in items]

        inputs = filled(spec["inputs"])
        return json.dumps(
            {
                "output": spec["key"],
                "outputs": outputs if len(outputs) > 1 else outputs[0],
                "inputs": inputs,
                "state": filled(spec.get("state", [])),
                "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs],
            }
        ).encode()

    cases: list[tuple[str, bytes]] = []
    with app.server.test_request_context("/"):
        snap = current_snapshot()
        cat = catalogue()
        for lan in lans or list(snap.lans):
            year = latest_year(snap.periods(lan=lan)) or ""
            big = largest_kommun(snap, lan) or ""
            kommuner = snap.kommuner(lan)
            marked = [kommuner[0], big] if kommuner else []
            ind = cat.indicators[0].id
            cases += [
                (
                    f"Länsöversikt {lan}",
                    body(
                        "oversikt-content.children",
                        {"oversikt-lan.value": lan, "oversikt-period.value": year},
                    ),
                ),
                (
                    f"Kommun {big}",
                    body(
                        "kommun-content.children",
                        {
                            "kommun-kommun.value": big,
                            "kommun-period.value": year,
                            "kommun-indikator.value": ind,
                        },
                    ),
                ),
                (
                    f"Kommun {big} trend",
                    body(
                        "kommun-trend.children",
                        {
                            "kommun-kommun.value": big,
                            "kommun-period.value": year,
                            "kommun-indikator.value": ind,
                        },
                    ),
                ),
                (
                    f"Jämför {lan}",
                    body(
                        "jamfor-content.children",
                        {
                            "jamfor-lan.value": lan,
                            "jamfor-indikator.value": ind,
                            "jamfor-period.value": year,
                            "jamfor-markera.value": marked,
                        },
                    ),
                ),
                (
                    f"Indikator {lan}",
                    body(
                        "indikator-content.children",
                        {
                            "indikator-id.value": ind,
                            "indikator-lan.value": lan,
                            "indikator-period.value": year,
                            "indikator-markera.value": marked,
                        },
                    ),
                ),
            ]
        if riket:  # the riket page (`pages/riket.py`): every län beside riket, one callback
            year = latest_year(sorted({p for lan in snap.lans for p in snap.periods(lan=lan)})) or ""
            cases.append(("Riket", body("riket-content.children", {"riket-period.value": year})))
    return cases


ACCEPT_ENCODING = ["gzip"]  # what the simulated browsers accept (`--accept-encoding`)


def post(port: int, body: bytes, local: threading.local) -> tuple[float, int]:
    con = getattr(local, "con", None)
    if con is None:
        con = local.con = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    try:
        con.request(
            "POST",
            "/_dash-update-component",
            body=body,
            headers={"Content-Type": "application/json", "Accept-Encoding": ACCEPT_ENCODING[0]},
        )
        response = con.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        con.close()
        local.con = None
        status = 0
    return (time.perf_counter() - started) * 1000, status


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used (on a shared machine, steadier than latency)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def load(
    port: int, cases: list[tuple[str, bytes]], users: int, seconds: float, workers: list[int] | None = None
) -> None:
    cpu_before = _cpu_seconds(workers or [])
    deadline = time.monotonic() + seconds
    local = threading.local()
    times: dict[str, list[float]] = {name: [] for name, _ in cases}
    failed = 0
    lock = threading.Lock()

    def user(start: int) -> None:
        nonlocal failed
        i = start
        while time.monotonic() < deadline:
            name, body = cases[i % len(cases)]
            ms, status = post(port, body, local)
            with lock:
                if status == 200 or status == 204:
                    times[name].append(ms)
                else:
                    failed += 1
            i += 1

    with ThreadPoolExecutor(users) as pool:
        list(pool.map(user, range(users)))
    every = sorted(t for values in times.values() for t in values)
    if not every:
        print(f"{users:>4} användare: inga svar ({failed} fel)")
        return

    def p(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    cpu = (_cpu_seconds(workers or []) - cpu_before) * 1000 / len(every)
    print(
        f"{users:>4} användare: {len(every)} svar ({len(every) / seconds:.0f}/s), "
        f"p50 {p(every, 0.5):.0f} ms, p95 {p(every, 0.95):.0f} ms, max {every[-1]:.0f} ms, {failed} fel"
        + (f"; arbetsprocessernas CPU-tid {cpu:.1f} ms per svar" if workers else "")
    )
    for name, values in times.items():
        if values:
            print(
                f"       {name:28} n={len(values):<5} "
                f"p50 {p(values, 0.5):6.0f}  p95 {p(values, 0.95):6.0f} ms"
            )


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _rss_mb(pid: int) -> int:
    match = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) // 1024 if match else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "matavla.duckdb")
    parser.add_argument("--catalog", type=Path, default=ROOT / "indicators.yaml")
    parser.add_argument(
        "--lan", default="", help="län to request, comma-separated (default: all in the database)"
    )
    parser.add_argument("--users", default="10,50")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--starts", type=int, default=3, help="start-up runs to time")
    parser.add_argument(
        "--nice",
        type=int,
        default=5,
        help="lower the load generator's priority by this much once gunicorn runs, so its threads "
        "do not take the workers' CPU (on a 2-core machine they otherwise compete)",
    )
    parser.add_argument(
        "--accept-encoding",
        default="gzip",
        help="the users' Accept-Encoding; 'br, gzip' is what current browsers get (brotli)",
    )
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--startup-only", action="store_true")
    parser.add_argument(
        "--replicate",
        default="",
        metavar="FROM:TO",
        help="e.g. 05:14: first copy the database with län 14's 49 kommuner given län 05's rows",
    )
    parser.add_argument(
        "--riket", action="store_true", help="the riket page's callback too (a database of all 21 län)"
    )
    args = parser.parse_args()
    if not args.db.exists():
        print(f"Databasen {args.db} finns inte (kör `matavla demo` först).", file=sys.stderr)
        return 1
    if args.replicate:
        from_lan, to_lan = args.replicate.split(":")
        args.db = replicated(args.db, args.replicate)
        print(f"Kopia med län {to_lan} från län {from_lan}s rader: {args.db}")
    if not args.skip_startup:
        startup(args.db, args.catalog, args.starts)
    if args.startup_only:
        return 0
    ACCEPT_ENCODING[0] = args.accept_encoding
    cases = callback_payloads(args.db, args.catalog, [x for x in args.lan.split(",") if x], riket=args.riket)
    port = _free_port()
    env = {**os.environ, "MATAVLA_DB": str(args.db), "MATAVLA_CATALOG": str(args.catalog)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [
            str(gunicorn),
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "300",
            "app:server",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_until_up(port, proc)
        os.nice(args.nice)  # the workers (started before) keep their priority
        assets(port)
        local = threading.local()
        for name, body in cases:  # warm every worker's per-page caches (two rounds for two workers)
            for _ in range(args.workers * 2):
                _ms, status = post(port, body, local)
                if status != 200:
                    raise SystemExit(f"{name}: svar {status}")
        for users in (int(u) for u in args.users.split(",")):
            load(port, cases, users, args.seconds, _children(proc.pid))
        rss = [_rss_mb(child) for child in _children(proc.pid)]
        print(f"Arbetsprocessernas RSS efter lasten: {', '.join(f'{r} MB' for r in rss)}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
