"""Start the Mätavla dashboard: `python app.py` (demo data) or `gunicorn app:server`.

Settings come from the environment so several gunicorn workers share them:
MATAVLA_DB (default data/matavla.duckdb) and MATAVLA_CATALOG (default indicators.yaml).
With MATAVLA_DB unset and no database at the default path, the demo database is built first
(about a minute, by one worker while the others wait). A MATAVLA_DB that does not exist is
reported, on the console and on every page, and nothing is built in its place.
"""

from __future__ import annotations

import os
from pathlib import Path

from metrics.dashboard.server import create_app
from metrics.dashboard.source.startup import database_from_env, prepare_database

DATABASE = database_from_env(os.environ)
DB_PATH = DATABASE.path
CATALOG_PATH = Path(os.environ.get("MATAVLA_CATALOG", "indicators.yaml"))

prepare_database(DATABASE, CATALOG_PATH, say=lambda message: print(message, flush=True))

app = create_app(db_path=DB_PATH, catalog_path=CATALOG_PATH)
server = app.server

if __name__ == "__main__":
    host = os.environ.get("MATAVLA_HOST", "127.0.0.1")
    port = int(os.environ.get("MATAVLA_PORT", "8050"))
    print(f"Mätavlan: http://{host}:{port}/", flush=True)
    app.run(host=host, port=port, debug=False)
