"""`matavla demo`: generate the demo extracts, import them and compute every indicator."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from metrics.catalogue.loader import load_catalogue
from metrics.compute.engine import compute_all
from metrics.db import connect
from metrics.errors import MatavlaError


def build_demo(
    db_path: Path,
    catalog_path: Path,
    *,
    out_dir: Path = Path("data/demo"),
    scale: float = 1.0,
    seed: int = 20241231,
    progress: Callable[[str], None] | None = None,
    keep_files: bool = True,
) -> None:
    """Generate, import and compute the demo; re-running it imports nothing twice.

    With `keep_files=False` the extracts (1.1 GB at scale 1) are written to a temporary
    folder beside the database and removed after the import: the database holds everything
    the dashboard shows, and `matavla demo` writes the files again for whoever wants them.
    """
    if not keep_files:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".demo-extracts-", dir=db_path.parent) as folder:
            build_demo(db_path, catalog_path, out_dir=Path(folder), scale=scale, seed=seed, progress=progress)
        return
    from metrics.demo.generate import generate_demo
    from metrics.extracts.importer import import_paths

    say = progress or (lambda _m: None)
    say(f"Genererar demodata (Östergötland och Jämtland 2020–2024, skala {scale}) i {out_dir} …")
    paths = generate_demo(out_dir, seed=seed, scale=scale, progress=say)
    con = connect(db_path)
    try:
        say(f"Importerar {len(paths)} filer till {db_path} …")
        reports = import_paths(con, paths, progress=say)
        failed = [r for r in reports if r.status == "failed"]
        if failed:
            raise MatavlaError(
                "demodata kunde inte importeras: " + "; ".join(f"{r.file}: {r.error}" for r in failed)
            )
        rejected = sum(r.rows_rejected for r in reports)
        say(f"Import klar; {rejected} rader avvisades (demodatan innehåller medvetet några felaktiga rader).")
        say("Beräknar indikatorer …")
        result = load_catalogue(catalog_path)
        reports_c = compute_all(
            con, result.catalogue, progress=say, catalogue_source=Path(catalog_path).read_bytes()
        )
        bad = [r for r in reports_c if not r.ok]
        if bad:
            raise MatavlaError(
                "indikatorer kunde inte beräknas: " + "; ".join(f"{r.indicator}: {r.message}" for r in bad)
            )
    finally:
        con.close()
