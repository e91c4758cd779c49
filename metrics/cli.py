"""The `matavla` command line: import, compute, audit, sql, export, check, kolada, demo and serve.

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

from metrics.compute.runs import DEFAULT_KEEP_RUNS
from metrics.db import DEFAULT_DB
from metrics.errors import CatalogueError, MatavlaError
from metrics.wording import thousands

F = TypeVar("F", bound=Callable[..., Any])


def db_option(func: F) -> F:
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_DB,
        envvar="MATAVLA_DB",  # as the dashboard: one setting names the database for every command
        show_default=True,
        show_envvar=True,
        help="DuckDB-databasen.",
    )(func)


def catalog_option(func: F) -> F:
    return click.option(
        "--catalog",
        "catalog_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=Path("indicators.yaml"),
        envvar="MATAVLA_CATALOG",
        show_default=True,
        show_envvar=True,
        help="Indikatorkatalogen (YAML).",
    )(func)


def wait_option(func: F) -> F:
    return click.option(
        "--wait",
        "wait",
        type=click.FloatRange(min=0),
        envvar="MATAVLA_DB_WAIT",
        default=120.0,
        show_default=True,
        help="Sekunder att vänta när databasen används av någon annan (mätavlan, en import).",
    )(func)


def friendly_errors(func: F) -> F:
    """Turn domain errors (and a database locked by another process) into a message and exit code 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CatalogueError as exc:  # every problem on its own "Fel:" line, as `check` prints them
            for problem in exc.problems:
                click.secho(f"Fel: {problem}", fg="red", err=True)
            files = sorted({problem.file for problem in exc.problems if problem.file})
            if len(exc.problems) > 1 and len(files) == 1:
                click.secho(f"{len(exc.problems)} fel i {files[0]}.", fg="red", err=True)
            sys.exit(1)
        except MatavlaError as exc:
            click.secho(f"Fel: {exc}", fg="red", err=True)
            sys.exit(1)
        except OSError as exc:  # a file or folder the command must write or read (e.g. --out)
            where = exc.filename if exc.filename is not None else "en fil"
            click.secho(
                f"Fel: kunde inte läsa eller skriva {where} ({exc.strerror or type(exc).__name__}) "
                "(tips: kontrollera sökvägen och att mappen finns och är skrivbar)",
                fg="red",
                err=True,
            )
            sys.exit(1)
        except Exception as exc:
            from metrics.db_lock import is_lock_error
            from metrics.extracts.failures import MEMORY_ENV, is_out_of_memory

            if is_out_of_memory(exc):  # compute or export; an import reports it per file
                click.secho(
                    "Fel: minnet räckte inte till (tips: höj databasens minnesgräns med miljövariabeln "
                    f"{MEMORY_ENV}, t.ex. {MEMORY_ENV}=8GB, eller kör på en dator med mer minne)",
                    fg="red",
                    err=True,
                )
                sys.exit(1)
            if not is_lock_error(exc):
                raise
            # Only reached if the lock was taken outside `connect`'s wait; never a traceback.
            click.secho(
                "Fel: databasen används av ett annat program (tips: försök igen om en stund)",
                fg="red",
                err=True,
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _say(message: str) -> None:
    click.echo(message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="matavla")
def main() -> None:
    """Mätavla – uppföljning av gemensam plan för primärvård (Nära vård) per kommun och län."""


def _declared_for_import(catalog_path: Path, paths: tuple[Path, ...], source: str | None) -> tuple[Any, ...]:
    """The catalogue's declared extracts; a broken catalogue stops only files that may be declared ones.

    Analysts edit the catalogue all day: a YAML typo in an indicator must not stop a contacts file.
    """
    from metrics.catalogue.extract_declarations import load_declared_extracts
    from metrics.errors import CatalogueError
    from metrics.extracts.importer import files_in
    from metrics.extracts.schema import EXTRACTS, extract_for_filename

    try:
        return load_declared_extracts(catalog_path)
    except CatalogueError as error:
        files = [f for p in paths for f in (files_in(p) if p.is_dir() else [p])]
        if source is not None:
            built_in = source.strip().lower() in EXTRACTS
        else:
            built_in = bool(files) and all(
                _surely_built_in(f.stem, extract_for_filename(f.stem)) for f in files
            )
        if not built_in:
            raise
        click.secho(f"notering: utdragen under extracts: lästes inte: {error}", err=True)
        return ()


def _surely_built_in(stem: str, extract: Any) -> bool:
    """The file names a built-in extract, and no declared one: `contacts_2024`, not `contacts_home`."""
    if extract is None:
        return False
    rest = stem.lower()[len(extract.name) :]
    if rest[:1].isalnum():  # survey2_2024 may be a declared survey2
        return False
    rest = rest.lstrip("_- ")
    return not rest or not rest[0].isalpha()


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@db_option
@click.option("--source", help="Utdragets namn (t.ex. contacts) när filnamnet inte säger det.")
@click.option(
    "--covers",
    help=(
        "Vilka kommuner filerna täcker när filen inte visar det: kommunkoder (2326,2380), län (lan:23) "
        "eller riket (en nationell leverans)."
    ),
)
@click.option(
    "--covers-period",
    help="Vilka månader filerna täcker, FRÅN:TILL (t.ex. 2024-01:2024-11); annars filens första–sista.",
)
@click.option("--sheet", help="Excel-bladet att läsa: namn eller nummer (från 1). Utan: första bladet.")
@click.option(
    "--replace",
    is_flag=True,
    help="Importera även filer som redan importerats (t.ex. en rättad fil som ska vinna igen).",
)
@click.option(
    "--earliest",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    envvar="MATAVLA_EARLIEST_DATE",
    help="Tidigaste rimliga datum; rader med tidigare datum avvisas. [standard: 1990-01-01]",
)
@click.option(
    "--latest",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    envvar="MATAVLA_LATEST_DATE",
    help="Senaste rimliga datum; rader med senare datum avvisas. [standard: ett år efter i dag]",
)
@wait_option
@catalog_option
@friendly_errors
def import_cmd(
    paths: tuple[Path, ...],
    catalog_path: Path,
    db_path: Path,
    source: str | None,
    covers: str | None,
    covers_period: str | None,
    sheet: str | None,
    replace: bool,
    earliest: Any,
    latest: Any,
    wait: float,
) -> None:
    """Importera utdrag (CSV, XLSX, Parquet; filer eller mappar) till databasen.

    Utdrag som deklarerats under extracts: i katalogen (--catalog) importeras som de inbyggda.
    """
    from metrics.db import connect
    from metrics.extracts.coverage import parse_covers
    from metrics.extracts.importer import import_paths
    from metrics.extracts.options import DateWindow, ImportOptions

    stated = parse_covers(covers, covers_period)
    window = DateWindow.between(earliest and earliest.date(), latest and latest.date())
    declared = _declared_for_import(catalog_path, paths, source)
    options = ImportOptions(sheet=sheet, replace=replace, window=window, declared=declared)
    con = connect(db_path, wait=wait, on_wait=_say)
    reports = import_paths(con, list(paths), source=source, progress=_say, covers=stated, options=options)
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
        if r.coverage:
            click.echo(f"    {r.coverage}")
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
    from metrics.catalogue.loader import by_line, load_catalogue
    from metrics.compute.check import check_sql

    result = load_catalogue(catalog_path)
    problems = by_line([*result.problems, *check_sql(result.catalogue)])
    for problem in problems:
        warning = problem.level == "warning"
        click.secho(
            f"{'Varning' if warning else 'Fel'}: {problem}", fg="yellow" if warning else "red", err=True
        )
    total = sum(p.level == "error" for p in problems)
    if total:
        files = dict.fromkeys(p.file or catalog_path.name for p in problems if p.level == "error")
        click.secho(f"{total} fel i {', '.join(files)}.", fg="red", err=True)  # the names, as above
        sys.exit(1)
    click.echo(f"{catalog_path.name}: {len(result.catalogue.indicators)} indikatorer, inga fel.")
    for plan in result.catalogue.plans:
        areas = sum(1 for _ in plan.walk())
        click.echo(
            f"{plan.file}: planen '{plan.id}' för län {', '.join(plan.lans) or '–'}, "
            f"{areas} områden, {len(plan.indicator_ids)} indikatorer."
        )


@main.command()
@click.option("--plan", is_flag=True, help="Planfilernas schema (plans/*.yaml) i stället för katalogens.")
def schema(plan: bool) -> None:
    """Skriv ut katalogformatets JSON Schema (för editorer, t.ex. VS Code med YAML-tillägget)."""
    from metrics.catalogue.json_schema import schema_text

    click.echo(schema_text(plan=plan), nl=False)


@main.command()
@db_option
@catalog_option
@click.option("--indicator", "only", multiple=True, help="Beräkna bara denna indikator (kan upprepas).")
@click.option(
    "--incremental",
    is_flag=True,
    help="Beräkna bara om de indikatorer vars utdrag har importerats sedan de beräknades "
    "(eller vars definition har ändrats); de andra behåller sina resultat (docs/runs.md).",
)
@click.option(
    "--keep-runs",
    type=click.IntRange(min=1),
    default=DEFAULT_KEEP_RUNS,
    show_default=True,
    envvar="MATAVLA_KEEP_RUNS",
    help="Antal körningar vars resultat sparas i historiken (för `matavla export --run`).",
)
@click.option(
    "--audit/--snabbkontroll",
    "exact_audit",
    default=True,
    show_default=True,
    help="Granska röjanderisken med fullständig LP-granskning (standard; inom en arbetsbudget i "
    "simplexiterationer per indikator och län, settings.publication.audit_iterations eller audit_seconds, "
    "därefter publiceringstrappans sista steg med snabbkontrollen) eller bara med "
    "snabbkontrollen (ingen LP). En indikator som underkänns publiceras inte.",
)
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="Var summeringsfrågorna körs: DuckDB, eller Apache Spark över Parquet (docs/spark.md).",
)
@click.option(
    "--parquet",
    "parquet_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Med --engine spark: mappen som tabellerna skrivs till som Parquet "
    "[standard: DATABAS.parquet bredvid databasen].",
)
@click.option(
    "--spark-master", default=None, envvar="SPARK_MASTER", help="Sparks master-URL (local[2], spark://…)."
)
@click.option(
    "--spark-conf",
    multiple=True,
    metavar="NYCKEL=VÄRDE",
    help="En Spark-inställning, t.ex. spark.sql.shuffle.partitions=8 (kan upprepas).",
)
@wait_option
@friendly_errors
def compute(
    db_path: Path,
    catalog_path: Path,
    only: tuple[str, ...],
    incremental: bool,
    keep_runs: int,
    exact_audit: bool,
    engine: str,
    parquet_dir: Path | None,
    spark_master: str | None,
    spark_conf: tuple[str, ...],
    wait: float,
) -> None:
    """Beräkna alla indikatorer per kommun, län, område och period."""
    from metrics.compute.engine import compute_all
    from metrics.db import connect

    spark = None
    if engine == "spark":
        from metrics.compute.spark_engine import SparkEngine, parse_conf

        spark = SparkEngine(
            parquet_dir or db_path.with_suffix(".parquet"), master=spark_master, conf=parse_conf(spark_conf)
        )

    result = _load(catalog_path)
    selected = list(only) or None
    if selected is None and any(p.level == "error" for p in result.problems):
        # An indicator left out for an error in its YAML is broken, not removed: computing the
        # others as a partial run keeps its last good results on the board.
        selected = [i.id for i in result.catalogue.indicators]
    con = connect(db_path, wait=wait, on_wait=_say)
    started = time.perf_counter()
    by_years = None
    if incremental:
        from metrics.compute.runs import increment

        step = increment(con, result.catalogue, catalog_path.read_bytes())
        by_years = step.by_years
        if step.indicators is None:
            _say(step.reason)
        else:
            # counted among the indicators asked for (--indicator), not the whole catalogue
            among = len(selected) if selected is not None else len(result.catalogue.indicators)
            selected = [i for i in step.indicators if selected is None or i in selected]
            which = "de valda indikatorernas" if only else "indikatorernas"
            _say(
                f"{len(selected)} av {among} indikatorer läser utdrag som importerats sedan de beräknades "
                "(eller har ändrats); de andra behåller sina resultat"
                if selected
                else f"inget har importerats sedan {which} senaste beräkning; inget beräknades om"
            )
            if not selected:
                con.close()
                return
    try:
        reports = compute_all(
            con,
            result.catalogue,
            only=selected,
            progress=_say,
            catalogue_source=catalog_path.read_bytes(),
            keep_runs=keep_runs,
            exact_audit=exact_audit,
            engine=spark,
            by_years=by_years,
        )
    finally:
        if spark is not None:
            spark.close()  # the Parquet copies hold person-level rows: never left behind
    con.close()
    failed = [r for r in reports if not r.ok]
    cells = sum(r.rows for r in reports)
    run = f"Körning {reports[0].run}: " if reports and reports[0].run else ""
    click.echo(
        f"{run}{len(reports) - len(failed)} av {len(reports)} indikatorer beräknade, "
        f"{thousands(cells)} celler ({time.perf_counter() - started:.1f} s)."
    )
    for r in failed:
        click.secho(f"✗ {r.indicator}: {r.message}", fg="red", err=True)
    if failed:
        click.secho(
            "En indikator som inte kunde beräknas behåller sina senaste giltiga resultat "
            "(markerade som inaktuella på tavlan).",
            fg="red",
            err=True,
        )
    if failed or any(p.level == "error" for p in result.problems):
        sys.exit(1)


@main.command()
@db_option
@catalog_option
@click.option("--indicator", "only", multiple=True, help="Granska bara denna indikator (kan upprepas).")
@wait_option
@friendly_errors
def audit(db_path: Path, catalog_path: Path, only: tuple[str, ...], wait: float) -> None:
    """Fullständig LP-granskning: kan någon dold cell räknas fram ur de publicerade resultaten?"""
    from metrics.compute.audit_report import audit_database

    if not db_path.exists():
        raise MatavlaError(
            f"databasen {db_path} finns inte (kör `matavla demo` eller `matavla compute` först)"
        )
    lines, passed = audit_database(
        db_path, _load(catalog_path).catalogue, only=list(only) or None, wait=wait, progress=click.echo
    )
    for line in lines:
        click.echo(line)
    if not passed:
        sys.exit(1)


@main.command()
@click.argument("indicator")
@catalog_option
@click.option(
    "--dialect",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="duckdb: som `compute` kör den; spark: översatt till Spark SQL som `compute --engine spark`.",
)
@friendly_errors
def sql(indicator: str, catalog_path: Path, dialect: str) -> None:
    """Skriv ut den SQL som beräknar INDICATOR (kan köras i DuckDB mot databasen)."""
    from metrics.catalogue.loader import did_you_mean
    from metrics.compute.sqlgen import indicator_sql

    catalogue = _load(catalog_path).catalogue
    ids = [i.id for i in catalogue.indicators]
    if indicator not in ids:
        hint = did_you_mean(indicator, ids) or "se `matavla check` för alla indikatorer"
        raise MatavlaError(f"okänd indikator '{indicator}' ({hint})")
    text = indicator_sql(catalogue.indicator(indicator))
    if dialect == "spark":
        from metrics.compute.dialects import to_spark
        from metrics.compute.spark_engine import date_columns, double_columns

        chosen = catalogue.indicator(indicator)
        text = to_spark(text, date_columns(chosen), double_columns=double_columns(chosen))
    click.echo(text + ";")


@main.command()
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="CSV-fil att skriva."
)
@db_option
@click.option(
    "--run",
    "run",
    type=int,
    default=None,
    help="Exportera resultaten som körning N publicerade (ur historiken) i stället för de aktuella.",
)
@wait_option
@friendly_errors
def export(out: Path, db_path: Path, run: int | None, wait: float) -> None:
    """Exportera resultaten som CSV enligt kontraktet (undertryckta celler utan tal)."""
    from metrics.db import connect
    from metrics.export import export_results, stale_indicators

    if not db_path.exists():
        raise MatavlaError(
            f"databasen {db_path} finns inte (kör `matavla demo` eller `matavla import` först)"
        )
    # Read-only: export never blocks the board, and waits only while a writer holds the file.
    con = connect(db_path, read_only=True, wait=wait, on_wait=_say)
    try:
        rows = export_results(con, out, run)
        stale = stale_indicators(con, run)
    finally:
        con.close()
    click.echo(f"{thousands(rows)} rader skrivna till {out}.")
    if stale:  # an analyst diffing exports must know these rows were not recomputed
        click.secho(
            f"Obs: inaktuella resultat (senaste beräkningen misslyckades, raderna är från en tidigare "
            f"körning): {', '.join(stale)}.",
            fg="yellow",
            err=True,
        )


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
    help=(
        "Andel av demobefolkningen (1.0 = full storlek: SCB:s folkmängd 2024 i län 05 och 23, "
        "påhittad i övriga län; upp till 20 för belastningsprov)."
    ),
)
@click.option("--seed", type=int, default=20241231, show_default=True)
@click.option(
    "--lan",
    "lan_text",
    default="05,23",
    show_default=True,
    help=(
        "Län med demodata: länskoder (t.ex. 01,14) eller all för alla 21 län och 290 kommuner. "
        "Bara kommunerna i 05 och 23 har SCB:s folkmängd; övriga kommuners folkmängd är påhittad "
        "(rangstorleksregel som summerar till Sveriges 10 587 710)."
    ),
)
@click.option("--years", "years_text", default="2020-2024", show_default=True, help="År, 2015–2024.")
@friendly_errors
def demo(
    db_path: Path, catalog_path: Path, out_dir: Path, scale: float, seed: int, lan_text: str, years_text: str
) -> None:
    """Skapa demodata (Östergötland och Jämtland 2020–2024 om inget annat anges), importera och beräkna.

    Koder, namn och län är verkliga. Folkmängden är SCB:s (2024) bara i Östergötland och
    Jämtland; i övriga län är den påhittad, och vårdmönstren är påhittade överallt.
    """
    from metrics.demo.pipeline import build_demo, parse_lan, parse_years

    started = time.perf_counter()
    lan, years = parse_lan(lan_text), parse_years(years_text)
    build_demo(
        db_path, catalog_path, out_dir=out_dir, scale=scale, seed=seed, progress=_say, lan=lan, years=years
    )
    # `matavla serve` runs in the environment this command runs in (a venv's python may not be on PATH)
    click.echo(
        f"Demodatabasen {db_path} är klar ({time.perf_counter() - started:.0f} s). "
        f"Starta tavlan: matavla serve --db {db_path}"
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


@main.command()
@db_option
@catalog_option
@click.option("--indicator", "only", multiple=True, help="Bara denna indikators nyckeltal (kan upprepas).")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Bara värden som ändrats i Kolada efter detta datum (ÅÅÅÅ-MM-DD). Utan: sedan förra hämtningen.",
)
@click.option("--full", is_flag=True, help="Hämta alla värden på nytt, inte bara de ändrade.")
@click.option(
    "--file",
    "files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Läs en fil sparad från Kolada (JSON från API:t, CSV eller Excel) i stället för att hämta.",
)
@wait_option
@friendly_errors
def kolada(
    db_path: Path,
    catalog_path: Path,
    only: tuple[str, ...],
    since: Any,
    full: bool,
    files: tuple[Path, ...],
    wait: float,
) -> None:
    """Hämta nyckeltalen som indikatorerna nämner under kolada: (riket, län, kommuner) till databasen."""
    from metrics.db import connect
    from metrics.kolada.client import KoladaClient
    from metrics.kolada.fetch import fetch_api, kpis_of, read_file

    if since and full:
        raise click.UsageError("--since och --full går inte att ange samtidigt (välj det ena)")
    if files and (since or full):
        raise click.UsageError("--since och --full gäller hämtning från Kolada, inte --file")
    catalogue = _load(catalog_path).catalogue
    chosen = [i for i in catalogue.indicators if not only or i.id in only]
    if unknown := sorted(set(only) - {i.id for i in catalogue.indicators}):
        raise MatavlaError(f"okänd indikator {', '.join(unknown)} i {catalog_path.name}")
    if not kpis_of(chosen):
        which = f"indikatorn {', '.join(only)}" if only else f"ingen indikator i {catalog_path.name}"
        raise MatavlaError(
            f"{which} nämner {'inget' if only else 'något'} nyckeltal i Kolada "
            "(tips: lägg till t.ex. kolada: N00945 i indikatorn; se docs/kolada.md)"
        )
    con = connect(db_path, wait=wait, on_wait=_say)
    try:
        if files:
            for path in files:
                reports, notes = read_file(con, chosen, path)
                for note in notes:
                    _say(note)
                for report in reports:
                    click.echo(report.line())
        else:
            client = KoladaClient()
            fetch_api(
                con,
                chosen,
                client,
                since=since.date() if since else None,
                full=full,
                progress=_say,
                stored=lambda report: click.echo(report.line()),
                groups_stored=click.echo,
            )
    finally:
        con.close()


def _register_analyst_commands() -> None:
    from metrics.cli_analyst import analyst_commands

    for command in analyst_commands(_load, _say, friendly_errors, wait_option):
        main.add_command(command)


_register_analyst_commands()

if __name__ == "__main__":
    main()
