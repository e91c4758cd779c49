"""Start the Mätavla dashboard: `python app.py` (demo data) or `gunicorn app:server`.

Settings come from the environment so several gunicorn workers share them:
MATAVLA_DB (default data/matavla.duckdb) and MATAVLA_CATALOG (default indicators.yaml).
Without a database, the demo database is built first (about a minute).
"""

from __future__ import annotations

import os
from pathlib import Path

from metrics.dashboard.server import create_app

DB_PATH = Path(os.environ.get("MATAVLA_DB", "data/matavla.duckdb"))
CATALOG_PATH = Path(os.environ.get("MATAVLA_CATALOG", "indicators.yaml"))

if not DB_PATH.exists():
    from metrics.demo.pipeline import build_demo

    print(f"Ingen databas i {DB_PATH}: bygger demodatabasen först (ungefär en minut) …", flush=True)
    build_demo(DB_PATH, CATALOG_PATH, progress=lambda message: print(message, flush=True))

app = create_app(db_path=DB_PATH, catalog_path=CATALOG_PATH)
server = app.server

if __name__ == "__main__":
    host = os.environ.get("MATAVLA_HOST", "127.0.0.1")
    port = int(os.environ.get("MATAVLA_PORT", "8050"))
    print(f"Mätavlan: http://{host}:{port}/", flush=True)
    app.run(host=host, port=port, debug=False)
