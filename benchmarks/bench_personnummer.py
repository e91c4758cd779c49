"""How fast the personnummer check runs over a large contacts file, and the whole import.

    .venv/bin/python benchmarks/bench_personnummer.py data/demo/contacts_2024.csv

Reports rows per second for (1) the check of every contract column, as the importer
runs it, against (2) the check of person_id alone in its former shape, and (3) the
whole import into an empty in-memory database.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb

from metrics.db import ensure_schema
from metrics.extracts import import_file
from metrics.extracts.importer import TRIMMED, _refuse_personnummer
from metrics.extracts.normalise import ident, match_columns, trim_table
from metrics.extracts.personnummer import personnummer_sql
from metrics.extracts.readers import ROW, read_table
from metrics.extracts.schema import extract_for_filename


def best_of(n: int, run) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main(path: Path) -> None:
    extract = extract_for_filename(path.stem)
    assert extract is not None
    raw = read_table(path.name, path.read_bytes(), path.suffix)
    columns = match_columns(extract, raw.header, path.name)
    con = duckdb.connect()
    con.register(TRIMMED, trim_table(raw.table))
    rows = raw.num_rows

    every = best_of(3, lambda: _refuse_personnummer(con, path.name, extract, raw, columns))
    person_id = ident(columns.sources["person_id"] or "")
    old_sql = f"SELECT min({ROW}) FROM {TRIMMED} WHERE {personnummer_sql(person_id)}"
    only_person_id = best_of(3, lambda: con.execute(old_sql).fetchone())
    print(f"{rows:,} rows")
    print(f"check, every column:        {every:6.2f} s  {rows / every:12,.0f} rows/s")
    print(f"check, person_id only (old): {only_person_id:6.2f} s  {rows / only_person_id:12,.0f} rows/s")

    target = duckdb.connect()
    ensure_schema(target)
    started = time.perf_counter()
    import_file(target, path)
    whole = time.perf_counter() - started
    print(f"whole import:               {whole:6.2f} s  {rows / whole:12,.0f} rows/s")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "data/demo/contacts_2024.csv"))
