"""A process that builds the dashboard and ends at once ends cleanly.

`create_app` starts reading every län's rows in a background thread. A daemon thread still
inside DuckDB when the interpreter finalises aborted the process with SIGABRT ("terminate called
after throwing an instance of ''"): seen when timing a worker's start
(`benchmarks/bench_dashboard_load.py --startup-only`), and what a gunicorn worker stopped right
after its start would do. The process now waits for its reader before it ends.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BUILD_AND_END = """
import sys
from metrics.dashboard.server import create_app
create_app(sys.argv[1], sys.argv[2])
print("built")
"""


def test_building_the_app_and_ending_at_once_exits_with_status_zero(demo_database) -> None:
    for _ in range(2):  # it aborted every time on the demo; twice, so a lucky timing cannot pass it
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                BUILD_AND_END,
                str(demo_database.db_path),
                str(demo_database.catalog_path),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.stdout.strip() == "built"
        assert "terminate called" not in done.stderr
        assert done.returncode == 0, done.stderr[-500:]
