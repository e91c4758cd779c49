"""`matavla demo`: generate the demo extracts, import them and compute every indicator."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from metrics.catalogue.loader import load_catalogue
from metrics.compute.engine import compute_all
from metrics.db import connect
from metrics.demo.selection import ALL_LAN, check_lan, has_synthetic_population, kommuner_in, lan_names
from metrics.errors import MatavlaError
from metrics.resources import AUDIT_SECONDS_ENV

DEMO_AUDIT_SECONDS = 160  # the LP audit's budget per indicator for the demo, in nominal seconds
# (translated into simplex iterations at a fixed rate: metrics.compute.audit_budget)


def parse_years(text: str) -> list[int]:
    """`--years`: '2019-2024', '2024' or '2022,2023,2024' → the years (MatavlaError in Swedish otherwise)."""
    years: list[int] = []
    for part in text.replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        if (
            not first.isdigit()
            or (dash and not last.isdigit())
            or len(first) != 4
            or (dash and len(last) != 4)
        ):
            raise MatavlaError(
                f"--years '{text}' är inga år "
                "(tips: ett intervall som --years 2019-2024, eller ett år: --years 2024)"
            )
        years.extend(range(int(first), int(last or first) + 1))
    if not years:
        raise MatavlaError(
            f"--years '{text}' är ett tomt intervall (tips: skriv det första året först, 2019-2024)"
        )
    return years


def parse_lan(text: str) -> list[str]:
    """`--lan`: '05,23' → ['05', '23'], 'all' → the 21 län; a code written without its leading
    zero ('5') gets it. MatavlaError in Swedish, naming the valid codes, for an unknown one."""
    if text.strip().lower() in ("all", "alla"):
        return list(ALL_LAN)
    codes = [part.strip().zfill(2) for part in text.split(",") if part.strip()]
    if not codes:
        raise MatavlaError("--lan saknar länskod (tips: t.ex. --lan 05,23 eller --lan all)")
    check_lan(codes)
    return list(dict.fromkeys(codes))  # '05,05' once


def years_shown(years: Sequence[int]) -> str:
    """'2020–2024' for the progress line, '2024' for one year (not '2024–2024')."""
    if not years:
        return ""
    first, last = min(years), max(years)
    return str(first) if first == last else f"{first}–{last}"


def demo_covers(lan: Sequence[str]) -> tuple[str, ...]:
    """What the demo's files cover, as `matavla import --covers` would say it; () for the default rule.

    Beyond Östergötland and Jämtland one file holds the rows of many regions, like a national
    delivery, and the default rule takes a län with under 5 % of a region file's rows for
    visitors (Gotland, Blekinge, even Östergötland with --lan all): their kommuner would be
    'saknas' and riket never computed. A small kommun without hemtjänst or SIP rows at a small
    scale had none, it did not fail to deliver. The demo knows it delivered every kommun of
    every chosen län, so it says so. The default demo keeps the default rule (its database, which
    the tests share, stays as it was).
    """
    if not has_synthetic_population(lan):
        return ()
    return tuple(k.code for k in kommuner_in(lan))


def build_demo(
    db_path: Path,
    catalog_path: Path,
    *,
    out_dir: Path = Path("data/demo"),
    scale: float = 1.0,
    seed: int = 20241231,
    progress: Callable[[str], None] | None = None,
    keep_files: bool = True,
    lan: Sequence[str] = ("05", "23"),
    years: Sequence[int] = (2020, 2021, 2022, 2023, 2024),
) -> None:
    """Generate, import and compute the demo; re-running it imports nothing twice.

    With `keep_files=False` the extracts (1.1 GB at scale 1) are written to a temporary
    folder beside the database and removed after the import: the database holds everything
    the dashboard shows, and `matavla demo` writes the files again for whoever wants them.
    """
    if not keep_files:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".demo-extracts-", dir=db_path.parent) as folder:
            build_demo(
                db_path,
                catalog_path,
                out_dir=Path(folder),
                scale=scale,
                seed=seed,
                progress=progress,
                lan=lan,
                years=years,
            )
        return
    from metrics.demo.generate import generate_demo
    from metrics.extracts.coverage import Covers
    from metrics.extracts.importer import import_paths

    say = progress or (lambda _m: None)
    say(f"Genererar demodata ({lan_names(lan)} {years_shown(years)}, skala {scale:g}) i {out_dir} …")
    paths = generate_demo(out_dir, seed=seed, scale=scale, progress=say, lan=lan, years=years)
    con = connect(db_path)
    try:
        say(f"Importerar {len(paths)} filer till {db_path} …")
        reports = import_paths(con, paths, progress=say, covers=Covers(demo_covers(lan)))
        failed = [r for r in reports if r.status == "failed"]
        if failed:
            raise MatavlaError(
                "demodata kunde inte importeras: " + "; ".join(f"{r.file}: {r.error}" for r in failed)
            )
        rejected = sum(r.rows_rejected for r in reports)
        say(f"Import klar; {rejected} rader avvisades (demodatan innehåller medvetet några felaktiga rader).")
        say("Beräknar indikatorer …")
        result = load_catalogue(catalog_path)
        # The demo is made-up data and its first start should take minutes, not an hour: the LP
        # audit gets DEMO_AUDIT_SECONDS' worth of simplex iterations per indicator (unless
        # MATAVLA_AUDIT_SECONDS or MATAVLA_AUDIT_ITERATIONS says otherwise); once spent, a coarser
        # rung of the ladder, and the Data page says so.
        saved = os.environ.get(AUDIT_SECONDS_ENV)
        os.environ.setdefault(AUDIT_SECONDS_ENV, str(DEMO_AUDIT_SECONDS))
        try:
            reports_c = compute_all(
                con, result.catalogue, progress=say, catalogue_source=Path(catalog_path).read_bytes()
            )
        finally:
            if saved is None:
                os.environ.pop(AUDIT_SECONDS_ENV, None)
        # An indicator the LP audit cannot prove even on the fallback rung is refused, as in any
        # compute: the board says so on the Data page, and the first start goes on (the demo's
        # budget should prove every indicator: tests/test_disclosure.py checks the 2 % demo's).
        refused = [r for r in reports_c if r.failure is not None and r.failure.kind == "DisclosureError"]
        for r in refused:
            say(f"{r.indicator} publiceras inte: {r.message}")
        bad = [r for r in reports_c if not r.ok and r not in refused]
        if bad:
            raise MatavlaError(
                "indikatorer kunde inte beräknas: " + "; ".join(f"{r.indicator}: {r.message}" for r in bad)
            )
    finally:
        con.close()
