"""`matavla test` and `matavla preview`: an analyst tries a definition before it is published.

Registered on the `matavla` group by `metrics.cli`. Both honour MATAVLA_CATALOG (and
`preview` MATAVLA_DB), like the dashboard.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from metrics.cli import _load, friendly_errors

CATALOG_OPTION = click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("indicators.yaml"),
    envvar="MATAVLA_CATALOG",
    show_default=True,
    help="Indikatorkatalogen (YAML).",
)


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
