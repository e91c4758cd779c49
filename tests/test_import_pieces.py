"""A file read in pieces (`readers.read_chunks`) imports exactly as when read whole: the same rows
stored, the same rejected rows with the same line numbers, the same errors naming the same line.

The pieces are made tiny here (a few lines each) so that every cut lands somewhere awkward:
inside a quoted line break, between a key and its repetition, before a broken line.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from metrics.db import ensure_schema
from metrics.errors import ExtractError
from metrics.extracts import import_file, importer, readers

HEADER = (
    "contact_id,person_id,kommun,sex,age,contact_date,care_unit,provider,profession,staff_id,mode,planned"
)


def contact(n: int, unit: str = "VC Ekholmen", age: str = "70", kommun: str = "0580", key: str = "") -> str:
    return f"{key or f'C{n}'},P{n},{kommun},K,{age},2024-01-05,{unit},region,lakare,S1,mottagning,1"


def write(path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.fixture(autouse=True)
def small_reads(monkeypatch):
    # A piece is cut from what has been read so far, and reads are 8 MiB: without small reads
    # every file here would be one piece, whatever CHUNK_BYTES says.
    monkeypatch.setattr(readers, "READ_BYTES", 7)  # blocks that end mid-line, mid-character


def fresh() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    ensure_schema(con)
    return con


def outcome(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], list[tuple], list[tuple]]:
    stored = con.execute("SELECT contact_id, care_unit, age FROM contacts ORDER BY ALL").fetchall()
    rejected = con.execute("SELECT row_number, reason, raw FROM rejected_rows ORDER BY ALL").fetchall()
    log = con.execute("SELECT rows_read, rows_accepted, rows_rejected, notes FROM import_log").fetchall()
    return stored, rejected, log


# Line numbers: the header is line 1, so contact(n) written n-th after it is on line n + 1,
# until the quoted line break on line 5 (record C4 spans lines 5-6) shifts later records by one.
TRICKY = (
    HEADER,
    contact(1),  # line 2
    contact(2, unit='VC "Norr'),  # line 3: a stray quote, read as text
    contact(3, age="200"),  # line 4: rejected (age)
    contact(4, unit='"VC\nSöder"'),  # lines 5-6: a quoted line break
    contact(5),  # line 7
    "C6,P6,0580",  # line 8: 3 fields, not 12 – kept aside as a broken line
    contact(7, key="C1"),  # line 9: repeats the key of line 2 – rejected as a duplicate
    contact(8, kommun="9999"),  # line 10: rejected (kommun)
    "",  # line 11: empty, skipped
    contact(9),  # line 12
)


@pytest.mark.parametrize("chunk_bytes", [1, 100, 250])
def test_a_csv_file_in_tiny_pieces_imports_as_when_read_whole(tmp_path, monkeypatch, chunk_bytes):
    path = write(tmp_path / "contacts.csv", *TRICKY)
    whole = fresh()
    import_file(whole, path)
    monkeypatch.setattr(readers, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(readers, "READ_BYTES", 7)  # blocks that end mid-line, mid-character
    pieces = fresh()

    report = import_file(pieces, path)

    assert outcome(pieces) == outcome(whole)
    # and what that is, by hand: C1, C2, C4, C5, C9 stored (5); rejected lines 4, 9, 10 and the
    # broken line 8 (4); read 5 + 4 = 9 (the empty line 11 is not a row)
    stored_ids = [r[0] for r in outcome(pieces)[0]]
    assert stored_ids == ["C1", "C2", "C4", "C5", "C9"]
    assert ("C4", "VC\nSöder", 70) in outcome(pieces)[0]
    assert [r[0] for r in outcome(pieces)[1]] == [4, 8, 9, 10]
    assert "samma nyckel finns på rad 2" in outcome(pieces)[1][2][1]
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (9, 5, 4)
    assert any("rad 3" in note and "citattecken" in note for note in report.notes)


# Excel writes a column name with a line break in it (Alt+Enter) as a quoted value: the header
# record then spans lines 1-2, and the first row is on line 3.
MULTILINE_HEADER = HEADER + ',"Anteckning\r\n(fritext)"'
WITH_NOTE = (
    MULTILINE_HEADER,
    contact(1) + ",a",  # line 3
    contact(2, age="200") + ",b",  # line 4: rejected (age)
    contact(3) + ",c",  # line 5
    "C4,P4,0580,d",  # line 6: 4 fields, not 13 – kept aside as a broken line
    contact(5) + ",e",  # line 7
)


@pytest.mark.parametrize("chunk_bytes", [None, 1, 100])
def test_a_header_whose_column_name_holds_a_quoted_line_break_is_one_record(
    tmp_path, monkeypatch, chunk_bytes
):
    # Arrow's `skip_rows` skips lines, not records: the header's second line was read as a row
    # of 1 field (a false rejected row on line 3), and every later line number was one too high.
    if chunk_bytes is not None:
        monkeypatch.setattr(readers, "CHUNK_BYTES", chunk_bytes)
    con = fresh()

    report = import_file(con, write(tmp_path / "contacts.csv", *WITH_NOTE))

    stored, rejected, _ = outcome(con)
    assert [r[0] for r in stored] == ["C1", "C3", "C5"]
    assert [(r[0], r[1].split(":")[0]) for r in rejected] == [
        (4, "age"),
        (6, "raden har 4 fält men rubrikraden har 13"),
    ]
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (5, 3, 2)
    header = next(iter(readers.read_chunks(tmp_path / "contacts.csv"))).header
    assert header[-1] == "Anteckning (fritext)"  # the whole name, its line break read as a space


def test_a_header_with_a_quoted_line_break_in_a_middle_column_names_every_column(tmp_path):
    # The names were those of the header's first line: two too few here, and every row broken.
    header = HEADER.replace("contact_id,", 'contact_id,"Anteckning\n(fritext)",', 1)
    row = "C1,hej,P1,0580,K,70,2024-01-05,VC Ekholmen,region,lakare,S1,mottagning,1"
    con = fresh()

    report = import_file(con, write(tmp_path / "contacts.csv", header, row))
    alone = import_file(fresh(), write(tmp_path / "contacts_header_only.csv", header))

    assert (report.status, report.rows_accepted, report.rows_rejected) == ("ok", 1, 0)
    assert (alone.status, alone.rows_read) == ("ok", 0)
    assert "filen innehåller inga rader" in alone.notes


@pytest.mark.parametrize("before", [1, 40])
@pytest.mark.parametrize("chunk_bytes", [None, 100])
def test_a_header_quote_that_never_closes_on_its_line_is_refused_not_a_name_that_swallows_rows(
    tmp_path, monkeypatch, before, chunk_bytes
):
    # The quote opened in the header closed only at `24"` further down: the rows between became
    # one column name, ignored as an extra column, and were lost (found by the attack review).
    if chunk_bytes is not None:
        monkeypatch.setattr(readers, "CHUNK_BYTES", chunk_bytes)
    rows = [contact(n) + ",x" for n in range(1, before + 1)]
    rows += [contact(before + 1) + ',skärm 24"', contact(before + 2) + ",y"]
    con = fresh()

    with pytest.raises(ExtractError, match=r"citattecken .* i rubrikraden avslutas inte") as refused:
        import_file(con, write(tmp_path / "contacts.csv", HEADER + ',"Anteckning', *rows))

    assert refused.value.row == 1
    assert con.execute("SELECT count(*) FROM contacts").fetchall() == [(0,)]


SEMICOLONS = HEADER.replace(",", ";")


@pytest.mark.parametrize(
    "header",
    [
        '"Anteckning\r\n(fritext)";' + SEMICOLONS,  # the first line holds no separator at all
        SEMICOLONS.replace("contact_id;", 'contact_id;"Antal, st, summa\r\n(per besök)";', 1),  # commas
        SEMICOLONS.replace("contact_id;", 'contact_id;"Anteckning\r(fritext)";', 1),  # a bare CR
    ],
)
def test_the_separator_and_names_come_from_the_whole_header_record(tmp_path, header):
    # Swedish Excel writes `;`. The separator was guessed from the header's first line only,
    # and a CR alone inside a quoted name cut the names short there.
    note_first = header.startswith('"')
    row = ("hej;" if note_first else "") + contact(1).replace(",", ";")
    if not note_first:
        row = row.replace("C1;", "C1;hej;", 1)
    con = fresh()

    report = import_file(con, write(tmp_path / "contacts.csv", header, row))

    assert (report.status, report.rows_accepted, report.rows_rejected) == ("ok", 1, 0)
    assert con.execute("SELECT contact_id, person_id FROM contacts").fetchall() == [("C1", "P1")]


def test_a_stray_quote_in_a_header_line_leaves_the_separator_to_that_line():
    # A quote that pairs with none within the header's lines is no quoted line break: the
    # separator is still told from the line, so a `;` file is not read with `,`.
    assert readers.split_header("f", b'x"y;a;b;c\n1;2;3;4\n')[1] == ";"
    assert readers.split_header("f", b'a;"b, c\nd";e\n1;2;3\n')[1] == ";"  # a quoted line break


@pytest.mark.parametrize("chunk_bytes", [None, 1, 40])
def test_an_inch_mark_in_a_header_name_and_in_a_later_value_leaves_the_separator_to_the_line(
    tmp_path, monkeypatch, chunk_bytes
):
    # Every quote was taken for a quote: the header's `(tum")` paired with the `27"` of row 5 and
    # the separator was counted mostly in data (`,` for this `;` file), refusing a good file.
    if chunk_bytes is not None:
        monkeypatch.setattr(readers, "CHUNK_BYTES", chunk_bytes)
    header = 'Storlek (tum");' + SEMICOLONS + ";Anteckning"
    rows = ["24;" + contact(n).replace(",", ";") + ";ok" for n in (1, 2, 3)]
    rows.append("22;" + contact(4).replace(",", ";") + ';byt till 27", gärna matt')
    con = fresh()

    report = import_file(con, write(tmp_path / "contacts.csv", header, *rows))

    assert (report.status, report.rows_accepted, report.rows_rejected) == ("ok", 4, 0)


@pytest.mark.parametrize(("chunk_bytes", "read_bytes"), [(None, 7), (1, 1), (30, 1)])
def test_a_piece_cut_inside_a_quoted_header_name_reads_on_before_telling_the_separator(
    tmp_path, monkeypatch, chunk_bytes, read_bytes
):
    # With only `id<TAB>"Antal, st` read, the name's comma made `,` the separator of a tab file.
    if chunk_bytes is not None:
        monkeypatch.setattr(readers, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(readers, "READ_BYTES", read_bytes)
    path = tmp_path / "contacts_m.csv"
    path.write_bytes(b'id\t"Antal, st\r\n(summa)"\tkommun\r\n1\t2\t0580\r\n')

    pieces = list(readers.read_chunks(path))

    assert pieces[0].header == ["id", "Antal, st (summa)", "kommun"]
    assert sum(piece.table.num_rows for piece in pieces) == 1
    assert not any(piece.invalid_rows for piece in pieces)


def test_a_wrapped_name_holding_the_separator_is_refused_with_a_message_that_says_so(tmp_path):
    header = HEADER.replace("contact_id,", 'contact_id,"Besök, totalt\r\n(2024)",', 1)
    row = contact(1).replace("C1,", "C1,3,", 1)

    with pytest.raises(ExtractError, match="innehåller avgränsaren ','") as refused:
        import_file(fresh(), write(tmp_path / "contacts.csv", header, row))

    assert refused.value.row == 1
    assert "ta bort ',' ur kolumnrubriker" in str(refused.value)


def test_a_name_with_line_breaks_reads_with_one_space_for_each_run_of_them():
    assert readers.clean_name("Antal\r\n\r\n besök \n") == "Antal besök"


def test_a_personnummer_in_a_later_piece_is_refused_naming_its_line(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "CHUNK_BYTES", 600)
    lines = [HEADER, *(contact(n) for n in range(1, 40))]
    lines[30] = contact(30, unit="VC 19121212-1212")  # line 31
    path = write(tmp_path / "contacts.csv", *lines)
    con = fresh()

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert caught.value.row == 31
    assert "1212" not in str(caught.value)
    assert con.execute("SELECT count(*) FROM contacts").fetchone() == (0,)


def test_a_personnummer_in_a_repeated_rows_typed_column_is_refused_on_the_second_read(tmp_path, monkeypatch):
    # The declared types make the decimal-looking text of a repeated row's staff_id irrelevant here;
    # what matters is that a row rejected only at the end (a repeated key) is still stored as read.
    monkeypatch.setattr(readers, "CHUNK_BYTES", 400)
    lines = [HEADER, *(contact(n) for n in range(1, 20)), contact(20, key="C3", unit="VC Norr")]
    path = write(tmp_path / "contacts.csv", *lines)  # the repetition of C3 (line 4) is on line 21
    con = fresh()

    report = import_file(con, path)

    rows = con.execute("SELECT row_number, reason, raw FROM rejected_rows").fetchall()
    assert [(r[0], r[1]) for r in rows] == [
        (21, "dubblett av nyckeln (contact_id): samma nyckel finns på rad 4")
    ]
    assert '"care_unit":"VC Norr"' in rows[0][2]
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (20, 19, 1)


def test_a_file_mixing_encodings_across_pieces_is_refused_naming_a_line_of_each(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "CHUNK_BYTES", 100)
    utf8 = [contact(n, unit="Läkarhuset") for n in range(1, 10)]  # lines 2-10, UTF-8
    windows = [contact(n, unit="Läkarhuset") for n in range(10, 20)]  # lines 11-20, Windows-1252
    path = tmp_path / "contacts.csv"
    path.write_bytes(
        ("\n".join([HEADER, *utf8]) + "\n").encode("utf-8") + ("\n".join(windows) + "\n").encode("cp1252")
    )

    with pytest.raises(ExtractError) as caught:
        import_file(fresh(), path)

    assert caught.value.row == 11
    assert "rad 11 är inte UTF-8" in str(caught.value)
    assert "rad 2 är UTF-8" in str(caught.value)


def test_a_windows_1252_file_in_pieces_is_read_whole_and_noted_once(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "CHUNK_BYTES", 400)
    path = write(
        tmp_path / "contacts.csv",
        HEADER,
        *(contact(n, unit="Läkarhuset") for n in range(1, 20)),
        encoding="cp1252",
    )
    con = fresh()

    report = import_file(con, path)

    assert report.rows_accepted == 19
    assert con.execute("SELECT DISTINCT care_unit FROM contacts").fetchall() == [("Läkarhuset",)]
    assert report.notes.count("teckenkodning Windows-1252 (omkodad till UTF-8)") == 1


def test_an_excel_sep_line_keeps_line_numbers_right_in_later_pieces(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "CHUNK_BYTES", 100)
    # 100 bytes: the first cut falls inside the header, just after the sep= line
    lines = ["sep=,", HEADER, *(contact(n) for n in range(1, 8))]
    lines[6] = contact(5, age="x")  # line 7 of the file (the header is on line 2)
    path = write(tmp_path / "contacts.csv", *lines)
    con = fresh()

    report = import_file(con, path)

    assert report.rejected_sample == [(7, "age: ogiltig ålder (heltal 0–120)")]


def test_a_parquet_file_in_record_batches_numbers_its_records(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "PARQUET_BATCH_ROWS", 2)
    ages = ["70", "71", "72", "200", "73", "74", "x"]  # records 4 and 7 are rejected
    n = len(ages)
    table = pa.table(
        {
            "contact_id": [f"C{i}" for i in range(1, n + 1)],
            "person_id": [f"P{i}" for i in range(1, n + 1)],
            "kommun": ["0580"] * n,
            "sex": ["K"] * n,
            "age": ages,
            "contact_date": ["2024-01-05"] * n,
            "care_unit": ["VC"] * n,
            "provider": ["region"] * n,
            "profession": ["lakare"] * n,
            "staff_id": ["S1"] * n,
            "mode": ["mottagning"] * n,
            "planned": ["1"] * n,
        }
    )
    path = tmp_path / "contacts.parquet"
    pq.write_table(table, path, row_group_size=3)
    con = fresh()

    report = import_file(con, path)

    assert [r for r, _ in report.rejected_sample] == [4, 7]
    assert (report.rows_read, report.rows_accepted) == (7, 5)


def test_an_import_caps_duckdbs_memory_at_1_gb_and_gives_the_limit_back(tmp_path, monkeypatch):
    from metrics.extracts import importer

    con = fresh()
    con.execute("SET memory_limit = '8GB'")  # DuckDB shows 7.4 GiB
    before = con.execute("SELECT current_setting('memory_limit')").fetchall()
    during: list[object] = []
    real = importer.read_chunks

    def spy(path: Path, *args: object, **kwargs: object) -> object:
        during.append(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(importer, "read_chunks", spy)
    importer.import_paths(con, [write(tmp_path / "contacts.csv", HEADER, contact(1))])
    importer.import_paths(con, [write(tmp_path / "contacts_b.csv", HEADER, contact(2))])

    assert during == ["953.6 MiB", "953.6 MiB"]  # 10⁹ bytes
    assert con.execute("SELECT current_setting('memory_limit')").fetchall() == before  # no drift


def _trace(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], list[int]]:
    """Temporary tables left behind, and the rows of every table an import writes."""
    temporary = con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    tables = ("contacts", "rejected_rows", "import_log", "coverage")
    return temporary, [con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables]


def test_a_personnummer_in_a_later_piece_leaves_no_trace_of_the_earlier_pieces(tmp_path, monkeypatch):
    # Earlier pieces hold accepted rows and rejected rows (age 200 on every third line), all staged
    # before the personnummer on line 36 is read: none of it may stay.
    monkeypatch.setattr(readers, "CHUNK_BYTES", 600)
    lines = [HEADER, *(contact(n, age="200" if n % 3 == 0 else "70") for n in range(1, 40))]
    lines[35] = contact(35, unit="VC 19121212-1212")  # line 36
    con = fresh()

    (report,) = importer.import_paths(con, [write(tmp_path / "contacts.csv", *lines)])

    assert report.status == "failed"
    assert "rad 36" in (report.error or "") and "1212" not in (report.error or "")
    assert _trace(con) == ([], [0, 0, 0, 0])


def test_an_interrupted_import_leaves_no_trace_and_gives_the_memory_limit_back(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "CHUNK_BYTES", 600)
    con = fresh()
    con.execute("SET memory_limit = '8GB'")
    before = con.execute("SELECT current_setting('memory_limit')").fetchall()
    staged: list[int] = []
    real = importer._insert_piece

    def interrupted(*args: object, **kwargs: object) -> None:
        staged.append(1)
        if len(staged) == 3:  # Ctrl-C while the third piece is read
            raise KeyboardInterrupt
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(importer, "_insert_piece", interrupted)
    path = write(tmp_path / "contacts.csv", HEADER, *(contact(n) for n in range(1, 40)))

    with pytest.raises(KeyboardInterrupt):
        importer.import_paths(con, [path])

    assert _trace(con) == ([], [0, 0, 0, 0])
    assert con.execute("SELECT current_setting('memory_limit')").fetchall() == before
    # and the same file then imports whole: 39 rows
    monkeypatch.setattr(importer, "_insert_piece", real)
    (report,) = importer.import_paths(con, [path])
    assert (report.status, report.rows_accepted) == ("ok", 39)


def test_a_crlf_file_with_bom_quoted_separators_and_decimal_commas_imports_as_when_read_whole(
    tmp_path, monkeypatch
):
    header = "month;person_id;kommun;sex;age;hours;named_care_contact;staff_14d"
    # person_id 'P;n' and hours 'n,5' are quoted because they hold the separator and a decimal comma
    rows = [f'2024-01-01;"P;{n}";0580;K;80;"{n},5";ja;3' for n in range(1, 30)]
    rows[20] = '2024-01-01;"P;21";0580;K;200;"21,5";ja;3'  # line 22: rejected (age)
    path = tmp_path / "home_care.csv"
    path.write_bytes(("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode("utf-8"))
    monkeypatch.setattr(readers, "CHUNK_BYTES", 37)
    monkeypatch.setattr(readers, "READ_BYTES", 5)
    con = fresh()

    report = import_file(con, path)

    # 29 rows, one rejected; hours of P;n is n + 0.5, so their sum is (1 + … + 29) − 21 + 28 × 0.5
    # = 435 − 21 + 14 = 428
    assert (report.rows_accepted, report.rows_rejected) == (28, 1)
    assert report.rejected_sample == [(22, "age: ogiltig ålder (heltal 0–120)")]
    assert con.execute("SELECT sum(hours), min(person_id) FROM home_care").fetchall() == [(428.0, "P;1")]


def test_a_personnummer_in_the_typed_column_of_a_row_repeating_a_key_in_a_later_piece_is_refused(
    tmp_path, monkeypatch
):
    # hours is a decimal, so 8112189876 (the Luhn-valid test number 811218-9876) is a valid value:
    # the row is accepted in its piece and only rejected at the end, for repeating line 4's key;
    # rejected_rows would keep its text, so the file must be refused, naming line 27.
    monkeypatch.setattr(readers, "CHUNK_BYTES", 400)
    header = "month;person_id;kommun;sex;age;hours;named_care_contact;staff_14d"
    rows = [f"2024-01-01;P{n};0580;K;80;{n};ja;3" for n in range(1, 30)]
    rows[25] = "2024-01-01;P3;0580;K;80;8112189876;ja;3"  # line 27 repeats P3 (line 4)
    path = tmp_path / "home_care.csv"
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode("utf-8"))
    con = fresh()

    (report,) = importer.import_paths(con, [path])

    assert report.status == "failed"
    assert "rad 27" in (report.error or "") and "9876" not in (report.error or "")
    assert con.execute("SELECT count(*) FROM rejected_rows").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM home_care").fetchall() == [(0,)]


def test_whitespace_is_trimmed_in_whichever_piece_and_column_it_is(tmp_path, monkeypatch):
    # A column is left untrimmed only when none of its values can start or end in whitespace;
    # here each padded value is the only one in its column, each in another piece.
    monkeypatch.setattr(readers, "CHUNK_BYTES", 300)
    lines = [HEADER, *(contact(n) for n in range(1, 13))]
    lines[4] = contact(4, unit="VC Ekholmen\u3000")  # an ideographic space, after the value
    lines[8] = contact(8, age="\u00a070")  # a no-break space, before it
    lines[12] = contact(12, kommun="0580\t")  # a tab (ASCII), after it
    path = write(tmp_path / "contacts.csv", *lines)
    con = fresh()

    report = import_file(con, path)

    assert (report.rows_accepted, report.rows_rejected) == (12, 0)
    rows = con.execute("SELECT DISTINCT care_unit, age, kommun FROM contacts").fetchall()
    assert rows == [("VC Ekholmen", 70, "0580")]


def test_pieces_read_ahead_come_in_order_one_ahead_and_errors_where_they_happened():
    from metrics.extracts.prefetch import Prefetched

    made: list[int] = []

    def pieces():
        for n in (1, 2, 3):
            made.append(n)
            yield n
        raise ExtractError("f.csv", "trasig")

    taken = []
    with pytest.raises(ExtractError), Prefetched(pieces()) as ahead:
        for n in ahead:
            # while piece n is used, at most piece n + 1 is made (two pieces held, never more)
            assert max(made) <= n + 1
            taken.append(n)
    assert taken == [1, 2, 3]  # the error came after every piece before it was used


def test_leaving_read_ahead_early_stops_the_reading():
    from metrics.extracts.prefetch import Prefetched

    made: list[int] = []

    def pieces():
        for n in range(1, 100):
            made.append(n)
            yield n

    with Prefetched(pieces()) as ahead:
        assert next(ahead) == 1
    assert max(made) <= 2  # the piece in use and the one after, no more


@pytest.mark.parametrize("column", ["staff_id", "care_unit", "age", "contact_date"])
def test_a_ten_digit_personnummer_in_a_row_of_short_values_in_a_later_piece_is_refused(
    tmp_path, monkeypatch, column
):
    # The scan leaves out rows where no checked value has 10 bytes: here every other value of
    # the row is shorter ('VC', 'S30', 'C30', '2024-01-05' is typed and checked only when the
    # row is rejected), and the personnummer is exactly 10 bytes, without separator. In `age`
    # and `contact_date` it makes the row rejected, and a rejected row's typed text is checked.
    monkeypatch.setattr(readers, "CHUNK_BYTES", 300)
    lines = [HEADER, *(contact(n, unit="VC") for n in range(1, 40))]
    lines[30] = lines[30].replace(
        {"staff_id": ",S1,", "care_unit": ",VC,", "age": ",70,", "contact_date": ",2024-01-05,"}[column],
        ",1212121212,",
    )  # line 31
    path = write(tmp_path / "contacts.csv", *lines)
    con = fresh()

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert caught.value.row == 31
    assert f"kolumnen '{column}'" in str(caught.value) and "1212" not in str(caught.value)
    assert con.execute("SELECT count(*) FROM contacts").fetchone() == (0,)


@pytest.mark.parametrize(
    ("personnummer_in_piece_2", "reader_fails"), [(True, True), (False, True), (True, False)]
)
def test_a_file_failing_while_the_next_piece_is_read_leaves_no_thread_and_nothing_stored(
    tmp_path, monkeypatch, personnummer_in_piece_2, reader_fails
):
    # Reading piece 3 fails, or would go on, while piece 2 is being checked: a personnummer in
    # piece 2 is what the file fails for (as without reading ahead); otherwise the reader's error.
    # Either way the thread that read ahead is gone and nothing of the pieces before is kept.
    monkeypatch.setattr(readers, "CHUNK_BYTES", 300)
    lines = [HEADER, *(contact(n) for n in range(1, 40))]
    if personnummer_in_piece_2:
        lines[6] = contact(6, unit="VC 121212-1212")  # line 7: the second piece (about 4 lines each)
    path = write(tmp_path / "contacts.csv", *lines)
    parse = readers._parse_piece
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if reader_fails and len(calls) == 3:
            raise RuntimeError("the reader failed")
        return parse(*args, **kwargs)

    monkeypatch.setattr(readers, "_parse_piece", failing)
    before = set(threading.enumerate())
    con = fresh()

    reports = importer.import_paths(con, [path])

    assert set(threading.enumerate()) == before
    assert reports[0].status == "failed"
    if personnummer_in_piece_2:
        assert "contacts.csv, rad 7: kolumnen 'care_unit'" in (reports[0].error or "")
    else:
        assert "oväntat fel vid import (RuntimeError)" in (reports[0].error or "")
    for table in ("contacts", "rejected_rows", "import_log"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone() == (0,)


def test_a_personnummer_in_a_later_piece_gives_back_the_stored_rows_the_file_would_replace(
    tmp_path, monkeypatch
):
    # Accepted rows go straight into the extract's table piece by piece, and the stored rows they
    # replace are deleted at the end: a file failing in its last piece must undo both.
    con = fresh()
    first = write(tmp_path / "contacts_a.csv", HEADER, *(contact(n, age="40") for n in range(1, 40)))
    import_file(con, first)
    monkeypatch.setattr(readers, "CHUNK_BYTES", 600)
    lines = [HEADER, *(contact(n, age="50") for n in range(1, 40))]
    lines[36] = contact(36, unit="VC 19121212-1212")  # line 37, in the last piece
    second = write(tmp_path / "contacts_b.csv", *lines)

    with pytest.raises(ExtractError):
        import_file(con, second)

    # C1..C39 as the first file stored them: 39 rows, every age 40, all from import 1
    assert con.execute(
        "SELECT count(*), min(age), max(age), min(_import_id), max(_import_id) FROM contacts"
    ).fetchall() == [(39, 40, 40, 1, 1)]
    assert _trace(con) == ([], [39, 0, 1, 13])


def test_a_key_repeated_in_a_later_piece_keeps_the_first_rows_values_and_replaces_the_stored_row(
    tmp_path, monkeypatch
):
    con = fresh()
    import_file(con, write(tmp_path / "contacts_a.csv", HEADER, contact(2, age="30")))
    monkeypatch.setattr(readers, "CHUNK_BYTES", 300)
    # C2 on line 3 (age 60), repeated on line 30 (age 90) and line 31 (age 91), pieces apart
    lines = [HEADER, *(contact(n, age="60") for n in range(1, 29))]
    lines += [contact(29, key="C2", age="90"), contact(30, key="C2", age="91")]
    second = write(tmp_path / "contacts_b.csv", *lines)

    report = import_file(con, second)

    assert (report.rows_read, report.rows_accepted, report.rows_rejected, report.rows_replaced) == (
        30,
        28,
        2,
        1,
    )
    assert con.execute("SELECT age, _import_id FROM contacts WHERE contact_id = 'C2'").fetchall() == [(60, 2)]
    assert con.execute("SELECT count(*), min(age), max(age) FROM contacts").fetchall() == [(28, 60, 60)]
    repeat = "dubblett av nyckeln (contact_id): samma nyckel finns på rad 3"
    assert report.rejected_sample == [(30, repeat), (31, repeat)]


def test_a_key_first_accepted_in_a_later_piece_is_the_one_kept_and_three_digit_codes_add_up(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(readers, "CHUNK_BYTES", 300)
    lines = [HEADER, *(contact(n, kommun="580" if n % 10 == 0 else "0580") for n in range(1, 40))]
    lines[19] = contact(19, key="K", kommun="9999")  # line 20: rejected (kommun), so it holds no key
    lines[24] = contact(24, key="K", age="55")  # line 25: the first accepted row of K
    lines[34] = contact(34, key="K", age="66")  # line 35: repeats K
    path = write(tmp_path / "contacts.csv", *lines)
    con = fresh()

    report = import_file(con, path)

    assert con.execute("SELECT age FROM contacts WHERE contact_id = 'K'").fetchall() == [(55,)]
    assert report.rejected_sample == [
        (20, "kommun: okänd kommunkod (fyra siffror enligt SCB, t.ex. 0580)"),
        (35, "dubblett av nyckeln (contact_id): samma nyckel finns på rad 25"),
    ]
    # 39 rows: 37 accepted; kommun '580' on rows n = 10, 20, 30 (lines 11, 21, 31)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (39, 37, 2)
    assert any("'580' → '0580' (3 rader)" in note for note in report.notes)


@pytest.mark.parametrize(("encoding", "pieces_held"), [("utf-8", 3), ("cp1252", 5)])
def test_the_reader_holds_few_copies_of_a_piece_while_the_consumer_holds_the_one_before(
    tmp_path, monkeypatch, encoding, pieces_held
):
    # At national size a piece is 64 MB, and every copy of it the reader keeps is memory the import
    # holds. Python's bytes and text are what tracemalloc counts (Arrow's tables are not), so this
    # bounds the reader's copies alone: the buffer (a piece and a read), the piece's bytes while it
    # is parsed, and for Windows-1252 the piece recoded as UTF-8 beside them and the first piece's
    # search for where UTF-8 fails. The old reader held 4.4 and 7.7 pieces here: the buffer's copy
    # of the piece, the piece again with the header line in front, the last piece's bytes kept across
    # the `yield`, and the whole piece as text while it was recoded.
    import tracemalloc

    from metrics.extracts import encodings

    piece = 200_000
    monkeypatch.setattr(readers, "READ_BYTES", 2**14)
    monkeypatch.setattr(encodings, "CP1252_SLICE", 2**14, raising=False)
    row = contact(1, unit="Vårdcentralen Ödeshög")
    data = ("\n".join([HEADER, *[row] * (10 * piece // len(row))]) + "\n").encode(encoding)
    blocks = [data[i : i + 2**14] for i in range(0, len(data), 2**14)]
    list(readers.CsvChunks("warm.csv", [data[:5000]], chunk_bytes=1000))  # modules load their tables
    rows = 0
    tracemalloc.start()
    try:
        for table in readers.CsvChunks("contacts.csv", blocks, chunk_bytes=piece):
            rows += table.num_rows  # the consumer holds this piece until it takes the next
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert rows == 10 * piece // len(row)
    assert peak < pieces_held * piece


def test_an_import_writes_its_rows_into_the_database_file_before_the_memory_cap_is_lifted(
    tmp_path, monkeypatch
):
    # DuckDB writes committed rows into the database file at a checkpoint; left to the moment the
    # connection closes, that ran after the import's memory cap was lifted and was the import's
    # peak at national size (2.0-2.1 GB, against 1.6 GB for the import itself).
    from metrics.extracts import importer

    db = tmp_path / "matavla.duckdb"
    con = duckdb.connect(str(db))
    ensure_schema(con)
    con.execute("CHECKPOINT")
    con.execute("SET memory_limit = '8GB'")
    during: list[object] = []
    real = importer.checkpoint if hasattr(importer, "checkpoint") else None

    def spy(connection: duckdb.DuckDBPyConnection) -> None:
        during.append(connection.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        assert real is not None
        real(connection)

    monkeypatch.setattr(importer, "checkpoint", spy, raising=False)
    messages: list[str] = []
    lines = [HEADER, *(contact(n) for n in range(1, 200))]
    importer.import_paths(con, [write(tmp_path / "contacts.csv", *lines)], progress=messages.append)

    assert during == ["953.6 MiB"]  # under the import's cap of 10⁹ bytes
    wal = tmp_path / "matavla.duckdb.wal"
    assert not wal.exists() or wal.stat().st_size == 0  # nothing left for the close to write
    assert "skriver de importerade raderna till databasfilen …" in messages
    con.close()
    assert duckdb.connect(str(db)).execute("SELECT count(*) FROM contacts").fetchall() == [(199,)]


def test_an_import_that_stored_nothing_or_has_no_file_does_not_checkpoint(tmp_path, monkeypatch):
    from metrics.extracts import importer

    calls: list[object] = []
    monkeypatch.setattr(importer, "checkpoint", calls.append, raising=False)
    on_disk = duckdb.connect(str(tmp_path / "matavla.duckdb"))
    ensure_schema(on_disk)
    messages: list[str] = []

    refused = importer.import_paths(
        on_disk, [write(tmp_path / "contacts.csv", HEADER, contact(1, unit="VC 121212-1212"))]
    )
    in_memory = importer.import_paths(
        fresh(), [write(tmp_path / "contacts_b.csv", HEADER, contact(1))], progress=messages.append
    )

    assert refused[0].status == "failed"
    assert in_memory[0].status == "ok"
    assert calls == []
    assert not any("databasfilen" in message for message in messages)  # there is no file


def test_a_checkpoint_failing_on_a_full_disk_fails_no_file_and_the_rows_are_there_when_reopened(tmp_path):
    # A checkpoint that cannot write (here: the file may not grow, as on a full disk) makes DuckDB
    # invalidate the connection. The rows are committed in the database's log (.wal) by then, so
    # the import reports them as imported, says that they are not yet in the file, and exits 0;
    # the next open writes them. (It used to end in a FatalException traceback.)
    import subprocess
    import sys
    import textwrap

    db = tmp_path / "matavla.duckdb"
    con = duckdb.connect(str(db))
    ensure_schema(con)
    con.close()
    path = write(tmp_path / "contacts.csv", HEADER, *(contact(n) for n in range(1, 2001)))
    script = textwrap.dedent(
        f"""
        import os, resource, signal, sys
        size = os.path.getsize({str(db)!r})
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, not the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))  # the log may grow, the file may not
        from metrics.cli import main
        sys.argv = ["matavla", "import", "--db", {str(db)!r}, {str(path)!r}]
        main()
        """
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert "2 000 rader importerade" in done.stdout
    assert "kunde inte skrivas in i databasfilen nu" in done.stdout
    assert "Traceback" not in done.stderr
    reopened = duckdb.connect(str(db))
    assert reopened.execute("SELECT count(*) FROM contacts").fetchall() == [(2000,)]
    assert reopened.execute("SELECT status FROM import_log").fetchall() == [("ok",)]
