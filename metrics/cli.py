"""The `matavla` command line: import, compute, audit, sql, export, check, demo and serve.

Errors in input become one Swedish message and exit code 1 (2 for usage);
no stack trace reaches the user for bad input.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from metrics.db import DEFAULT_DB
from metrics.errors import MatavlaError
from metrics.wording import thousands

F = TypeVar("F", bound=Callable[..., Any])


def db_option(func: F) -> F:
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_DB,
        show_default=True,
        help="DuckDB-databasen.",
    )(func)


def catalog_option(func: F) -> F:
    return click.option(
        "--catalog",
        "catalog_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=Path("indicators.yaml"),
        show_default=True,
        help="Indikatorkatalogen (YAML).",
    )(func)


def friendly_errors(func: F) -> F:
    """Turn domain errors into a message on stderr and exit code 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MatavlaError as exc:
            click.secho(f"Fel: {exc}", fg="red", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _say(message: str) -> None:
    click.echo(message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="matavla")
def main() -> None:
    """Mätavla – uppföljning av gemensam plan för primärvård (Nära vård) per kommun och län."""


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@db_option
@click.option("--source", help="Utdragets namn (t.ex. contacts) när filnamnet inte säger det.")
@friendly_errors
def import_cmd(paths: tuple[Path, ...], db_path: Path, source: str | None) -> None:
    """Importera utdrag (CSV, XLSX, Parquet; filer eller mappar) till databasen."""
    from metrics.db import connect
    from metrics.extracts.importer import import_paths

    con = connect(db_path)
    reports = import_paths(con, list(paths), source=source, progress=_say)
    failed = 0
    for r in reports:
        if r.status == "failed":
            failed += 1
            click.secho(f"✗ {r.error}", fg="red", err=True)
            continue
        mark = "=" if r.status == "unchanged" else "✓"
        line = (
            f"{mark} {r.file} ({r.extract}): {thousands(r.rows_accepted)} rader importerade, "
            f"{thousands(r.rows_rejected)} avvisade, {thousands(r.rows_replaced)} ersatta ({r.seconds:.1f} s)"
        )
        if r.status == "unchanged":
            line = f"= {r.file} ({r.extract}): redan importerad, inget ändrat"
        click.echo(line)
        for note in r.notes:
            click.echo(f"    notering: {note}")
        for row, reason in r.rejected_sample[:10]:
            click.echo(f"    rad {row}: {reason}")
        if r.rows_rejected > 10:
            click.echo("    … se alla avvisade rader i tabellen rejected_rows eller på sidan Data")
    con.close()
    if failed:
        click.secho(
            f"{failed} av {len(reports)} filer kunde inte importeras; databasen är oförändrad för dem.",
            fg="red",
            err=True,
        )
        sys.exit(1)


def _load(catalog_path: Path, strict: bool = False) -> Any:
    from metrics.catalogue.loader import load_catalogue

    result = load_catalogue(catalog_path, strict=strict)
    for problem in result.problems:
        color = "yellow" if problem.level == "warning" else "red"
        click.secho(
            ("Varning: " if problem.level == "warning" else "Fel: ") + str(problem), fg=color, err=True
        )
    return result


@main.command()
@catalog_option
@friendly_errors
def check(catalog_path: Path) -> None:
    """Kontrollera katalogen: alla fel på en gång, med radnummer."""
    from metrics.compute.check import check_sql

    result = _load(catalog_path)
    problems = [p for p in result.problems if p.level == "error"]
    sql_problems = check_sql(result.catalogue)
    for problem in sql_problems:
        click.secho(f"Fel: {problem}", fg="red", err=True)
    total = len(problems) + len(sql_problems)
    if total:
        click.secho(f"{total} fel i {catalog_path}.", fg="red", err=True)
        sys.exit(1)
    click.echo(f"{catalog_path}: {len(result.catalogue.indicators)} indikatorer, inga fel.")


@main.command()
@db_option
@catalog_option
@click.option("--indicator", "only", multiple=True, help="Beräkna bara denna indikator (kan upprepas).")
@friendly_errors
def compute(db_path: Path, catalog_path: Path, only: tuple[str, ...]) -> None:
    """Beräkna alla indikatorer per kommun, län, område och period."""
    from metrics.compute.engine import compute_all
    from metrics.db import connect

    result = _load(catalog_path)
    con = connect(db_path)
    started = time.perf_counter()
    reports = compute_all(con, result.catalogue, only=list(only) or None, progress=_say)
    con.close()
    failed = [r for r in reports if not r.ok]
    cells = sum(r.rows for r in reports)
    click.echo(
        f"{len(reports) - len(failed)} av {len(reports)} indikatorer beräknade, "
        f"{thousands(cells)} celler ({time.perf_counter() - started:.1f} s)."
    )
    for r in failed:
        click.secho(f"✗ {r.indicator}: {r.message}", fg="red", err=True)
    if failed or any(p.level == "error" for p in result.problems):
        sys.exit(1)


@main.command()
@db_option
@catalog_option
@friendly_errors
def audit(db_path: Path, catalog_path: Path) -> None:
    """Röjandekontroll: kan någon dold cell räknas fram ur de publicerade resultaten?"""
    from metrics.compute.audit_report import audit_database

    if not db_path.exists():
        raise MatavlaError(
            f"databasen {db_path} finns inte (kör `matavla demo` eller `matavla compute` först)"
        )
    lines, passed = audit_database(db_path, _load(catalog_path).catalogue)
    for line in lines:
        click.echo(line)
    if not passed:
        sys.exit(1)


@main.command()
@click.argument("indicator")
@catalog_option
@friendly_errors
def sql(indicator: str, catalog_path: Path) -> None:
    """Skriv ut den SQL som beräknar INDICATOR (kan köras i DuckDB mot databasen)."""
    from metrics.catalogue.loader import did_you_mean
    from metrics.compute.sqlgen import indicator_sql

    catalogue = _load(catalog_path).catalogue
    ids = [i.id for i in catalogue.indicators]
    if indicator not in ids:
        hint = did_you_mean(indicator, ids) or "se `matavla check` för alla indikatorer"
        raise MatavlaError(f"okänd indikator '{indicator}' ({hint})")
    click.echo(indicator_sql(catalogue.indicator(indicator)) + ";")


@main.command()
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="CSV-fil att skriva."
)
@db_option
@friendly_errors
def export(out: Path, db_path: Path) -> None:
    """Exportera resultaten som CSV enligt kontraktet (undertryckta celler utan tal)."""
    from metrics.db import connect
    from metrics.export import export_results

    if not db_path.exists():
        raise MatavlaError(
            f"databasen {db_path} finns inte (kör `matavla demo` eller `matavla import` först)"
        )
    con = connect(db_path)
    rows = export_results(con, out)
    con.close()
    click.echo(f"{thousands(rows)} rader skrivna till {out}.")


@main.command()
@db_option
@catalog_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/demo"),
    show_default=True,
    help="Mapp för de genererade filerna.",
)
@click.option(
    "--scale",
    type=float,
    default=1.0,
    show_default=True,
    help="Andel av verklig befolkning (1.0 = verklig storlek).",
)
@click.option("--seed", type=int, default=20241231, show_default=True)
@friendly_errors
def demo(db_path: Path, catalog_path: Path, out_dir: Path, scale: float, seed: int) -> None:
    """Skapa demodata för Östergötland och Jämtland 2022–2024, importera och beräkna."""
    from metrics.demo.pipeline import build_demo

    started = time.perf_counter()
    build_demo(db_path, catalog_path, out_dir=out_dir, scale=scale, seed=seed, progress=_say)
    click.echo(
        f"Demodatabasen {db_path} är klar ({time.perf_counter() - started:.0f} s). Starta: python app.py"
    )


@main.command()
@db_option
@catalog_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--debug/--no-debug", default=False)
@friendly_errors
def serve(db_path: Path, catalog_path: Path, host: str, port: int, debug: bool) -> None:
    """Starta mätavlan i webbläsaren."""
    from metrics.dashboard.server import create_app

    if not db_path.exists():
        raise MatavlaError(
            f"databasen {db_path} finns inte "
            "(kör `matavla demo` eller `matavla import` och `matavla compute`)"
        )
    app = create_app(db_path=db_path, catalog_path=catalog_path)
    click.echo(f"Mätavlan: http://{host}:{port}/")
    app.run(host=host, port=port, debug=debug)


if __name__ == "__main__":
    main()
