"""`matavla test` and `matavla preview`: an analyst tries a definition before it is published.

`metrics.cli` registers them, handing over its own helpers (so this module does not import
it back). Both honour MATAVLA_CATALOG (and `preview` MATAVLA_DB), like the dashboard.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from metrics.db import DEFAULT_DB

CATALOG_OPTION = click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("indicators.yaml"),
    envvar="MATAVLA_CATALOG",
    show_default=True,
    help="Indikatorkatalogen (YAML).",
)


def analyst_commands(
    load: Callable[[Path], Any],
    say: Callable[[str], None],
    friendly_errors: Callable[[Any], Any],
    wait_option: Callable[[Any], Any],
) -> list[click.Command]:
    """The `test` and `preview` commands, built with the CLI's loader, messages and error handling."""
    _load, _say = load, say

    @click.command("test")
    @click.argument("ids", nargs=-1)
    @CATALOG_OPTION
    @friendly_errors
    def test_cmd(ids: tuple[str, ...], catalog_path: Path) -> None:
        """Kör testfallen (tests:) i katalogen, eller bara för IDS, i en tillfällig databas."""
        from metrics.compute.yaml_tests import run_catalogue_tests, summary

        result = _load(catalog_path)
        started = time.perf_counter()
        outcomes = run_catalogue_tests(result.catalogue, list(ids) or None)
        for outcome in outcomes:
            if outcome.ok:
                click.echo(f"✓ {outcome.indicator}: {outcome.name}")
                continue
            click.secho(f"✗ {outcome.indicator}: {outcome.name}", fg="red")
            for failure in outcome.failures:
                click.secho(f"    {failure}", fg="red")
        untested = [i.id for i in result.catalogue.indicators if not i.tests and (not ids or i.id in ids)]
        if untested:
            click.secho(f"Obs: utan tester: {', '.join(untested)}.", fg="yellow", err=True)
        failed = any(not o.ok for o in outcomes)
        click.secho(summary(outcomes, time.perf_counter() - started), fg="red" if failed else "green")
        if failed or any(p.level == "error" for p in result.problems):
            sys.exit(1)

    @click.command("preview")
    @click.argument("indicator")
    @click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_DB,
        envvar="MATAVLA_DB",
        show_default=True,
        help="Tavlans DuckDB-databas (läses, ändras aldrig).",
    )
    @CATALOG_OPTION
    @wait_option
    @friendly_errors
    def preview_cmd(indicator: str, db_path: Path, catalog_path: Path, wait: float) -> None:
        """Beräkna INDICATOR ur katalogen mot riktiga data utan att publicera den."""
        from metrics.compute.preview import compute_preview
        from metrics.previews import INDICATOR_FIELDS, board_link, preview_grid, save_preview

        catalogue = _load(catalog_path).catalogue
        preview = compute_preview(db_path, catalogue, indicator, wait=wait, on_wait=_say)
        ind = preview.indicator
        click.echo(
            f"Förhandsgranskning av {ind.id} – {ind.title} ({ind.unit}), inte publicerad "
            f"({preview.seconds:.1f} s)".replace(".", ",")
        )
        groups = {g.id: g.name for level in catalogue.area_levels for g in level.groups}
        periods, rows = preview_grid(preview.results, groups)
        click.echo(_grid_text(periods, rows, ind.decimals))
        if preview.published:
            click.echo("Inom parentes: ändringen mot det publicerade värdet på tavlan.")
        else:
            click.echo("Indikatorn är inte publicerad: inget att jämföra med.")
        meta = {field: getattr(ind, field) for field in INDICATOR_FIELDS}
        meta |= {"catalogue": catalog_path.name, "published": preview.published}
        token = save_preview(db_path, meta, preview.results)
        click.echo(f"Visa på tavlan: {board_link(token)}")
        click.echo("Inget skrevs till tavlans databas. Publicera med `matavla compute --indicator ID`.")

    return [test_cmd, preview_cmd]


def _grid_text(periods: list[str], rows: list[Any], decimals: int) -> str:
    from metrics.previews import cell_text

    if not rows:
        return "Inga resultat: utdragen som indikatorn läser saknas i databasen."
    names = [f"  {r.code} {r.name}" if r.level == "kommun" else r.name for r in rows]
    texts = [[_joined(*cell_text(c, decimals)) for c in r.cells] for r in rows]
    width = max(len(n) for n in names) + 2
    columns = [max([len(p), *(len(t[i]) for t in texts)]) + 2 for i, p in enumerate(periods)]
    lines = ["".ljust(width) + "".join(p.rjust(columns[i]) for i, p in enumerate(periods))]
    for name, cells in zip(names, texts, strict=True):
        lines.append(name.ljust(width) + "".join(t.rjust(columns[i]) for i, t in enumerate(cells)))
    return "\n".join(lines)


def _joined(value: str, change: str) -> str:
    return f"{value} ({change})" if change else value
