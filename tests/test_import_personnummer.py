"""No personnummer is stored, in any shape, in any column, in a rejected line or in a file name.

The contract: a value that looks like a personnummer or samordningsnummer makes the whole
file fail with an error that names the file, the column and the row, never the value.
Every shape below was stored by the probe of issue 7 before this rule.
"""

from __future__ import annotations

import duckdb
import pytest

from metrics.db import ensure_schema
from metrics.errors import ExtractError
from metrics.extracts import import_file, import_paths
from tests.test_import import CONTACT, CONTACT_COLUMNS, contacts_csv, table_counts

SHAPES = {
    "century and a space": "19121212 1212",
    "a space": "121212 1212",
    "a no-break space": "121212\u00a01212",
    "a non-breaking hyphen": "121212\u20111212",
    "a hyphen": "121212\u20101212",
    "spaces in the date": "12 12 12-1212",
    "full-width digits": "\uff11\uff12\uff11\uff12\uff11\uff12-\uff11\uff12\uff11\uff12",
    "in quotes": "'121212-1212'",
}
TEXT_COLUMNS = ["person_id", "staff_id", "care_unit", "contact_id"]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    ensure_schema(connection)
    return connection


def assert_nothing_stored(con: duckdb.DuckDBPyConnection) -> None:
    counts = table_counts(con)
    assert counts["contacts"] == counts["rejected_rows"] == counts["import_log"] == 0


def assert_value_not_shown(message: str) -> None:
    digits = "".join(ch for ch in message if ch.isdigit() or "\uff10" <= ch <= "\uff19")
    assert "1212" not in digits and "\uff11\uff12" not in message


@pytest.mark.parametrize("column", TEXT_COLUMNS)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_a_personnummer_in_any_shape_in_any_text_column_fails_the_file(con, tmp_path, column, shape):
    path = contacts_csv(
        tmp_path / "contacts_2024.csv",
        {"contact_id": "C1"},
        {"contact_id": "C2", column: shape} if column != "contact_id" else {"contact_id": shape},
    )

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert caught.value.row == 3
    assert str(caught.value).startswith(f"contacts_2024.csv, rad 3: kolumnen '{column}' innehåller")
    assert_value_not_shown(str(caught.value))
    assert_nothing_stored(con)


def test_a_personnummer_in_a_column_that_would_be_rejected_is_not_kept_as_a_raw_line(con, tmp_path):
    # 'mode' does not accept it, so before it went into rejected_rows.raw.
    path = contacts_csv(tmp_path / "contacts_2024.csv", {"mode": "12 12 12-1212"})

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert caught.value.row == 2 and "kolumnen 'mode'" in str(caught.value)
    assert_nothing_stored(con)


def test_a_personnummer_in_a_line_that_cannot_be_split_fails_the_file_in_any_shape(con, tmp_path):
    good = ",".join(CONTACT.values())
    path = tmp_path / "contacts_2024.csv"
    path.write_text(f"{CONTACT_COLUMNS}\n{good}\n{good},x,12 12 12-1212\n", encoding="utf-8")

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert caught.value.row == 3
    assert_value_not_shown(str(caught.value))
    assert_nothing_stored(con)


@pytest.mark.parametrize("name", ["contacts_19121212-1212.csv", "contacts 12 12 12-1212.csv"])
def test_a_personnummer_in_the_file_name_fails_the_file_and_the_name_is_not_shown(con, tmp_path, name):
    path = contacts_csv(tmp_path / name, {})

    reports = import_paths(con, [path])

    assert [r.status for r in reports] == ["failed"]
    assert "filnamnet innehåller" in (reports[0].error or "")
    for text in (reports[0].file, reports[0].error or ""):
        assert_value_not_shown(text)
    assert_nothing_stored(con)


def test_a_header_that_is_a_personnummer_fails_the_file(con, tmp_path):
    # A file exported without its header row: the first data row is read as column names.
    path = tmp_path / "contacts_2024.csv"
    path.write_text("C1,121212-1212,0580\nC2,P2,0580\n", encoding="utf-8")

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert caught.value.row == 1
    assert_value_not_shown(str(caught.value))
    assert_nothing_stored(con)


def test_an_aggregated_extract_refuses_a_personnummer_in_text_and_in_a_rejected_number(con, tmp_path):
    # Before, the reason quoted the value: "principal: okänt värde … ('19121212-1212')".
    costs = tmp_path / "costs_2024.csv"
    costs.write_text(
        "kommun;year;principal;area;amount_sek\n0580;2024;19121212-1212;primarvard;5\n", encoding="utf-8"
    )
    with pytest.raises(ExtractError) as caught:
        import_file(con, costs)
    assert "kolumnen 'principal'" in str(caught.value)
    assert_value_not_shown(str(caught.value))

    # A count that is no number would be a rejected row, kept as text: refused as well.
    population = tmp_path / "population_2024.csv"
    population.write_text(
        "kommun,year,sex,age,count\n0580,2024,K,70,100\n0580,2024,M,70,121212-1212\n", encoding="utf-8"
    )
    with pytest.raises(ExtractError) as caught:
        import_file(con, population)
    assert caught.value.row == 3 and "kolumnen 'count'" in str(caught.value)
    assert table_counts(con)["rejected_rows"] == table_counts(con)["population"] == 0


def test_pseudonyms_and_ids_that_merely_contain_digits_are_imported(con, tmp_path):
    path = contacts_csv(
        tmp_path / "contacts_2024.csv",
        {"contact_id": "1234567890", "person_id": "P60654173"},  # ten digits, Luhn fails
        {"contact_id": "K24-0000001", "person_id": "\uff30123", "staff_id": "S60ee87"},
        {"contact_id": "C3", "care_unit": "Vårdcentralen Ekholmen 2", "staff_id": "20240115"},
    )

    report = import_file(con, path)

    assert (report.status, report.rows_accepted) == ("ok", 3)


# --- columns whose values repeat: checked on their distinct values ------------------------------


def _repeating_rows(n: int, changed: dict[int, dict[str, str]]) -> list[dict[str, str]]:
    """`n` contacts at a handful of care units; row i (from 0) of `changed` with other values."""
    units = ["Vårdcentralen Åby", "Läkarhuset Lindö", "VC Ekholmen"]
    return [
        {"contact_id": f"C{i}", "person_id": f"P{i}", "care_unit": units[i % 3], **changed.get(i, {})}
        for i in range(n)
    ]


@pytest.mark.parametrize("shape", [*SHAPES.values(), "pat 19121212-1212 vc"], ids=[*SHAPES, "among words"])
def test_a_personnummer_among_many_repeated_care_units_fails_the_file_at_its_first_row(con, tmp_path, shape):
    # 300 rows, 4 distinct care units: the column is checked on its distinct values, and the
    # error must still name the first row that holds the value (file line = index + 2)
    rows = _repeating_rows(300, {170: {"care_unit": shape}, 250: {"care_unit": shape}})
    path = contacts_csv(tmp_path / "contacts_2024.csv", *rows)

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert caught.value.row == 172
    assert "care_unit" in str(caught.value)
    assert_value_not_shown(str(caught.value))
    assert_nothing_stored(con)


def test_the_earliest_personnummer_is_named_whether_its_column_repeats_or_not(con, tmp_path):
    rows = _repeating_rows(300, {200: {"care_unit": "19121212-1212"}, 90: {"person_id": "121212-1212"}})
    path = contacts_csv(tmp_path / "contacts_2024.csv", *rows)

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert caught.value.row == 92
    assert "person_id" in str(caught.value)


def test_repeated_care_units_without_a_personnummer_are_imported(con, tmp_path):
    rows = _repeating_rows(300, {7: {"care_unit": "VC 12 Norra hus 3-1234"}})
    path = contacts_csv(tmp_path / "contacts_2024.csv", *rows)

    report = import_file(con, path)

    assert report.rows_accepted == 300
    assert con.execute("SELECT count(DISTINCT care_unit) FROM contacts").fetchall() == [(4,)]


def test_only_a_column_whose_values_repeat_is_checked_on_its_distinct_values():
    import pyarrow as pa

    from metrics.extracts.importer import _few_values

    n = 1000
    table = pa.table(
        {
            "ids": [f"C{i}" for i in range(n)],
            "units": [f"VC {i % 7}" for i in range(n)],
            # repeats in the first rows, not in the piece: its distinct values are not fewer
            "late": ["x"] * 100 + [f"v{i}" for i in range(n - 100)],
        }
    )

    few = _few_values(table, ["ids", "units", "late"])

    assert sorted(few) == ["units"]
    assert sorted(few["units"].to_pylist()) == [f"VC {i}" for i in range(7)]
