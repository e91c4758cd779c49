"""The Data page lists every declared extract (the contract's and the catalogue's own) with what is
imported of it, so an analyst sees which extract an indicator needs that is still missing.

The catalogue: the documented `vaccinations` declaration (docs/extracts.md, as in
test_declared_extracts) read by one indicator with `population` as denominator, and the two
indicators of test_kolada's catalogue, reading `listing` and `contacts`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.catalogue.model import Catalogue
from metrics.dashboard.logic.extract_status import extract_statuses, missing_text, readers_text
from metrics.dashboard.source.data import coverage
from metrics.db import connect
from metrics.errors import CatalogueError
from metrics.extracts.declared_tables import ensure_declared_table
from metrics.extracts.schema import EXTRACTS
from tests.test_declared_extracts import DECLARATION, HEADER, VACCINATED
from tests.test_kolada import CATALOGUE as KOLADA_CATALOGUE

IMPORTED = datetime(2025, 1, 14, 16, 0)


@pytest.fixture
def catalogue(tmp_path: Path) -> Catalogue:
    others = KOLADA_CATALOGUE.split("indicators:\n")[1].replace("[kontinuitet]", "[fokusflyttning]")
    path = tmp_path / "indicators.yaml"
    path.write_text(HEADER + DECLARATION + VACCINATED + others, encoding="utf-8")
    return load_catalogue(path).catalogue


def counts(*rows: tuple[str, int, object, object, object, object]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["extract", "rows", "first", "last", "kommuner", "last_import"])


def test_each_declared_extract_has_a_status_and_the_indicators_that_read_it(catalogue: Catalogue) -> None:
    statuses = extract_statuses(
        catalogue,
        counts(
            ("listing", 2, "2024-03-31", "2024-12-31", 2, IMPORTED),  # imported: 2 rows
            ("contacts", 0, None, None, 0, IMPORTED),  # an import that delivered no row
            ("population", 0, None, None, 0, None),  # never imported
        ),
    )
    by_name = {s.extract: s for s in statuses}
    # the 3 missing first, then the rest; each part: the contract's in their order, then the catalogue's
    missing = ["population", "contacts", "vaccinations"]
    assert [s.extract for s in statuses] == [*missing, *(n for n in EXTRACTS if n not in missing)]
    assert by_name["vaccinations"].declared_in == "katalogen"
    assert by_name["listing"].declared_in == "kontraktet"
    assert [(s.status, s.tone, s.missing) for s in (by_name[n] for n in ("listing", "contacts"))] == [
        ("Inläst", "good", False),
        ("Importerat men tomt", "bad", True),  # 'Digitala kontakter' reads it
    ]
    # read by the vaccination indicator (its denominator), never imported
    assert (by_name["population"].status, by_name["population"].missing) == ("Saknas", True)
    assert (by_name["vaccinations"].status, by_name["vaccinations"].missing) == ("Saknas", True)
    # no indicator reads the inpatient extract and nothing is imported: not a problem
    assert (by_name["inpatient"].status, by_name["inpatient"].tone) == ("Inte inläst", "neutral")
    assert by_name["inpatient"].missing is False
    assert readers_text(by_name["population"]) == "1 indikator: Influensavaccinerade 65 år och äldre"
    assert readers_text(by_name["inpatient"]) == "ingen indikator"
    assert by_name["listing"].first == "2024-03-31" and by_name["listing"].kommuner == 2
    # contacts was imported (IMPORTED) without a row: said as such, not as never imported
    assert missing_text(statuses) == (
        "Saknas: Befolkning (population), som 1 indikator läser; Vaccinationer (kommunens egen fil) "
        "(vaccinations), som 1 indikator läser. Importerat men tomt: Kontakter i primärvården "
        "(contacts), som 1 indikator läser. En indikator som läser ett utdrag utan rader har inget "
        "underlag förrän en fil med utdragets rader är importerad med matavla import."
    )


def test_nothing_missing_says_nothing(catalogue: Catalogue) -> None:
    every = counts(*((name, 1, None, None, 1, IMPORTED) for name in [*EXTRACTS, "vaccinations"]))
    assert missing_text(extract_statuses(catalogue, every)) is None


def test_the_data_page_counts_a_declared_extracts_rows(tmp_path: Path, catalogue: Catalogue) -> None:
    db = tmp_path / "m.duckdb"
    con = connect(db)
    (declared,) = catalogue.extracts
    ensure_declared_table(con, declared)
    con.execute(
        "INSERT INTO vaccinations (vaccination_id, person_id, kommun, sex, age, vaccination_date, vaccine) "
        "VALUES ('v1', 'p1', '0580', 'K', 70, '2024-10-01', 'influensa'), "
        "('v2', 'p2', '0581', 'M', 71, '2024-11-02', 'influensa'), "
        "('v3', 'p3', '0581', 'M', 80, '2024-11-03', 'covid19')"
    )
    con.close()
    extracts = coverage(db, catalogue.extracts).extracts.set_index("extract")
    # 3 rows in 2 kommuner (0580, 0581), from 2024-10-01 to 2024-11-03
    row = extracts.loc["vaccinations"]
    assert (row["rows"], row["kommuner"]) == (3, 2)
    assert (str(row["first"]), str(row["last"])) == ("2024-10-01", "2024-11-03")
    assert "vaccinations" not in coverage(db).extracts["extract"].tolist()  # without the catalogue's


def test_the_data_page_shows_the_missing_extracts(tmp_path: Path) -> None:
    from metrics.dashboard.server import create_app
    from tests.test_kolada_board import texts

    db = tmp_path / "m.duckdb"
    connect(db).close()  # every built-in table, no row
    path = tmp_path / "indicators.yaml"
    path.write_text(HEADER + DECLARATION + VACCINATED, encoding="utf-8")
    app = create_app(db_path=db, catalog_path=path)
    from metrics.dashboard.pages import dataunderlag

    with app.server.test_request_context("/data"):
        page = "\n".join(texts(dataunderlag.render()))
    assert "Utdrag saknas" in page
    assert "Saknas: Befolkning (population), som 1 indikator läser; Vaccinationer" in page
    assert "Vaccinationer (kommunens egen fil)" in page and "katalogen" in page
    assert "1 indikator: Influensavaccinerade 65 år och äldre" in page


def test_a_declaration_edited_since_the_import_still_counts_its_rows(tmp_path: Path) -> None:
    # The table was made by the documented declaration; the catalogue then renamed the date column
    # (vaccination_date -> given_on) and no import or compute has run since, so the table lacks it.
    # The Data page must still count the rows (and show no period) rather than fail as a whole.
    first = tmp_path / "indicators.yaml"
    first.write_text(HEADER + DECLARATION + VACCINATED, encoding="utf-8")
    (made,) = load_catalogue(first).catalogue.extracts
    db = tmp_path / "m.duckdb"
    con = connect(db)
    ensure_declared_table(con, made)
    con.execute(
        "INSERT INTO vaccinations (vaccination_id, person_id, kommun, sex, age, vaccination_date, vaccine) "
        "VALUES ('v1', 'p1', '0580', 'K', 70, '2024-10-01', 'influensa'), "
        "('v2', 'p2', '0581', 'M', 71, '2024-11-02', 'influensa')"
    )
    con.close()
    edited = tmp_path / "edited.yaml"
    edited.write_text(
        HEADER + DECLARATION.replace("vaccination_date", "given_on") + VACCINATED, encoding="utf-8"
    )
    (declared,) = load_catalogue(edited).catalogue.extracts
    assert declared.date_column == "given_on"
    row = coverage(db, (declared,)).extracts.set_index("extract").loc["vaccinations"]
    # 2 rows in 2 kommuner (0580, 0581); the declared date column is not in the table: no period
    assert (row["rows"], row["kommuner"]) == (2, 2)
    assert row["first"] is None and row["last"] is None


def test_a_declared_name_held_by_a_table_that_is_no_extract_counts_nothing(tmp_path: Path) -> None:
    # A declaration whose name is a table of the database's own (here Kolada's groups, written by
    # `matavla kolada`, with no `_import_id`): its 2 rows are Kolada's groups, not the extract's.
    path = tmp_path / "indicators.yaml"
    path.write_text(HEADER + DECLARATION + VACCINATED, encoding="utf-8")
    (vaccinations,) = load_catalogue(path).catalogue.extracts
    declared = replace(vaccinations, name="kolada_groups")
    db = tmp_path / "m.duckdb"
    con = connect(db)
    con.execute("CREATE TABLE kolada_groups (group_id VARCHAR, title VARCHAR)")
    con.execute("INSERT INTO kolada_groups VALUES ('G1', 'Grupp 1'), ('G2', 'Grupp 2')")
    con.close()
    row = coverage(db, (declared,)).extracts.set_index("extract").loc["kolada_groups"]
    assert (row["rows"], row["kommuner"]) == (0, 0)


@pytest.mark.parametrize(
    "name", ["kolada_reference", "kolada_fetches", "kolada_groups", "kolada_group_members"]
)
def test_the_catalogue_refuses_an_extract_named_like_a_kolada_table(tmp_path: Path, name: str) -> None:
    # `matavla kolada` writes these tables (CREATE TABLE IF NOT EXISTS): an extract of that name
    # would be written into by Kolada's fetch, or refuse it.
    path = tmp_path / "indicators.yaml"
    declaration = DECLARATION.replace("name: vaccinations", f"name: {name}")
    path.write_text(HEADER + declaration + VACCINATED.replace("vaccinations", name), encoding="utf-8")
    with pytest.raises(CatalogueError) as excinfo:
        load_catalogue(path, strict=True)
    messages = [problem.message for problem in excinfo.value.problems]
    assert f"utdrag '{name}': namnet är en av databasens egna tabeller" in messages
