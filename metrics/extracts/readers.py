"""Read an extract file (CSV, Excel, Parquet) into an Arrow table of text columns.

Every reader returns the same shape, a `RawTable`: one string column per column
of the file, named `c0`, `c1`, … (the file's own names are kept in `header`, so
odd or duplicated names never reach SQL), plus `_row`, the row's number in the
file as a user would find it: the line in a CSV file (the header is line 1), the
row in the Excel sheet, the record number in a Parquet file. No value is
interpreted here; typing and validation happen in one SQL pass (`normalise`).

Large files are read in pieces (`read_chunks`): a CSV file in pieces of about `CHUNK_BYTES`
cut at a line break outside any quoted value, a Parquet file in record batches of
`PARQUET_BATCH_ROWS`, so that an import's memory does not grow with the file. Each piece is a
`RawTable` with the same header and the file's own row numbers. An Excel sheet (at most about a
million rows) is read whole, and so is a UTF-16 file or one whose lines end in CR alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from metrics.errors import ExtractError
from metrics.extracts.encodings import UTF8_BOM, UTF16_BOMS, decode_to_utf8, excel_separator, first_utf8_line
from metrics.extracts.personnummer import contains_personnummer, looks_like_personnummer
from metrics.extracts.quotes import Quotes, find_quotes, stray_note

CSV_SUFFIXES = (".csv", ".txt")
EXCEL_SUFFIXES = (".xlsx",)
PARQUET_SUFFIXES = (".parquet",)
SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES

ROW = "_row"
SWEDISH_TIME = "Europe/Stockholm"
CHUNK_BYTES = 64 * 2**20  # a CSV piece: about 0.6 M rows of a contacts extract
PARSE_BLOCK_BYTES = 16 * 2**20  # Arrow's block when parsing a piece (see `_parse_csv`)
PARQUET_BATCH_ROWS = 500_000
READ_BYTES = 8 * 2**20  # one read from the file


@dataclass
class InvalidRow:
    """A CSV line that could not be split into the header's number of fields."""

    row_number: int
    reason: str  # Swedish
    text: str  # the line as read; stays in the database (rejected_rows.raw)
    fields: list[str]  # the line split at the separator, for the personnummer check
    record: int = -1  # Arrow's record number (the header is record 1)


@dataclass
class RawTable:
    header: list[str]  # the file's column names, stripped of whitespace and BOM
    table: pa.Table  # string columns c0..cN-1 and int64 `_row`
    notes: list[str] = field(default_factory=list)  # Swedish, for the import log
    invalid_rows: list[InvalidRow] = field(default_factory=list)

    @property
    def num_rows(self) -> int:
        return self.table.num_rows


def column_id(index: int) -> str:
    return f"c{index}"


def clean_name(name: object) -> str:
    # A header cell may hold a quoted line break (Excel's Alt+Enter): it reads as one space.
    return _LINE_BREAKS.sub(" ", str(name).replace("\ufeff", "")).strip()


_LINE_BREAKS = re.compile(r"[ \t]*(?:\r\n|\r|\n)+[ \t]*")


def require_supported(name: str, suffix: str) -> None:
    if suffix.lower() not in SUFFIXES:
        raise ExtractError(
            name,
            f"filformatet '{suffix or '(inget)'}' stöds inte",
            hint="spara filen som CSV (.csv), Excel (.xlsx) eller Parquet (.parquet)",
        )


def read_table(name: str, data: bytes, suffix: str, sheet: str | None = None) -> RawTable:
    """Parse the bytes of a file called `name` according to its suffix (`sheet`: see `read_xlsx`)."""
    require_supported(name, suffix)
    suffix = suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return read_xlsx(name, data, sheet)
    if suffix in PARQUET_SUFFIXES:
        return read_parquet(name, data)
    return read_csv(name, data)


# --- CSV ---------------------------------------------------------------------------------------


def split_header(name: str, data: bytes, delimiter: str | None = None) -> tuple[list[str], str]:
    """The header's column names and the delimiter, sniffed from the header line unless given.

    The names are those of the first line; a header record that spans lines gets its names from
    `multiline_header` once its quotes are known.
    """
    end = data.find(b"\n")
    # A bare CR ends the line too, for Arrow as for Excel and editors: the header stops there.
    line = (data if end < 0 else data[:end]).decode("utf-8").split("\r", 1)[0]
    if not line.strip():
        raise ExtractError(
            name, "filen saknar rubrikrad", hint="första raden ska innehålla kolumnnamnen, t.ex. kommun;year"
        )
    if delimiter is None:
        counts = {d: line.count(d) for d in (";", ",", "\t")}
        quoted = _quoted_header_separators(data) if line.count('"') % 2 else None
        if isinstance(quoted, dict) and any(quoted.values()):
            # A quoted value goes on past the line (a column name with a line break, which may be
            # the first name, or hold a comma): the separator is the one outside quotes in the
            # whole header record. (A stray quote mid-value, as in `(tum")`: the line, as before.)
            counts = quoted
        delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    names = next(csv.reader([line], delimiter=delimiter))
    return [clean_name(n) for n in names], delimiter


MAX_HEADER_LINES = 5  # lines a header record may span (column names with line breaks)


def _quoted_header_separators(data: bytes) -> dict[str, int] | str | None:
    """How often each separator occurs outside quoted values in the header record, when a quoted
    value that starts a field (first, or after a separator) goes on past the first line: the
    record is its lines up to where that value closes, then the rest of that line (at most
    `MAX_HEADER_LINES`). None when no such value does; `INCOMPLETE` when `data` ends before it
    closes, within those lines. Quotes are told as `quotes.find_quotes` tells them: one in the
    middle of a value (an inch mark, `(tum")`) is a plain character."""
    end = -1
    for _ in range(MAX_HEADER_LINES):  # the first lines only: never a copy of the whole piece
        end = data.find(b"\n", end + 1)
        if end < 0:
            break
    more = end >= 0  # the data goes on past those lines
    text = (data[:end] if more else data).decode("utf-8", errors="replace")
    counts = dict.fromkeys((";", ",", "\t"), 0)
    inside, previous, i = False, "", 0
    while i < len(text):
        char = text[i]
        if inside:
            if char == '"':
                if text[i + 1 : i + 2] == '"':
                    i += 1  # an escaped quote
                else:
                    inside = False
        elif char == '"' and previous in ("", *counts):
            inside = True
        elif char == "\n":
            # a line ends outside quotes: the record ends here (the first line: no quoted break)
            return counts if "\n" in text[:i] else None
        elif char in counts:
            counts[char] += 1
        previous = char
        i += 1
    if inside and not more:
        return INCOMPLETE  # the data ends inside the quoted value: read on
    return None if inside else counts


INCOMPLETE = "incomplete"  # `_quoted_header_separators`: the header record goes on past the data read so far


def multiline_header(name: str, data: bytes, delimiter: str, end: int, line: int) -> list[str]:
    """The column names of a header record that spans lines (`data[:end]`, on the file's line
    `line` on): a quoted column name with a line break in it, as Excel writes Alt+Enter.

    Refused when it does not look like one: longer than `MAX_HEADER_LINES`, or a name that holds
    a line break and the separator. That is a quote that never closes on the header line, which
    would otherwise take the rows after it for a column name.
    """
    text = data[:end].decode("utf-8").rstrip("\r\n")
    names = next(csv.reader([text], delimiter=delimiter))
    spanned = len(_LINE_BREAKS.findall(text)) + 1
    if spanned > MAX_HEADER_LINES or any(_LINE_BREAKS.search(n) and delimiter in n for n in names):
        raise ExtractError(
            name,
            'ett citattecken (") i rubrikraden avslutas inte på raden, eller så sträcker sig en '
            f"kolumnrubrik över flera rader och innehåller avgränsaren '{delimiter}' (eller rubriken "
            f"över fler än {MAX_HEADER_LINES} rader); rubriken skulle kunna ta med raderna efter den, "
            "så inget importerades",
            hint='kontrollera citattecknen i rubrikraden (en rubrik som börjar med " ska sluta med "), '
            f"och ta bort '{delimiter}' ur kolumnrubriker som har radbrytningar (Alt+Enter i Excel)",
            row=line,
        )
    return [clean_name(n) for n in names]


def read_csv(name: str, data: bytes) -> RawTable:
    """The whole file's bytes as one table (the file read in one piece)."""
    chunks = CsvChunks(name, [data], chunk_bytes=max(len(data), 1) * 2)
    (table,) = list(chunks)
    table.notes = chunks.notes
    return table


class Chunks:
    """The pieces of one file, in order, as `RawTable`s; `notes` is complete once they are read."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def __iter__(self) -> Iterator[RawTable]:
        raise NotImplementedError


class CsvChunks(Chunks):
    """A CSV file's pieces, cut at line breaks outside quoted values.

    `blocks`: the file's bytes in blocks as read (any sizes). Every piece is decoded to UTF-8
    and parsed with the header's column names, so it is parsed exactly as the same lines of the
    whole file; the encoding must be the same in every piece (a file mixing UTF-8 and
    Windows-1252 is refused, naming a line of each). Where a cut falls inside a quoted value
    (a quoted line break), the piece is extended to the next cut that does not.
    """

    def __init__(self, name: str, blocks: Iterable[bytes], chunk_bytes: int = CHUNK_BYTES) -> None:
        super().__init__()
        self.name = name
        self.blocks = blocks
        self.chunk_bytes = chunk_bytes

    def __iter__(self) -> Iterator[RawTable]:
        name = self.name
        blocks = iter(self.blocks)
        buffer, eof = b"", False

        def fill(size: int) -> None:
            """Read on until the buffer holds `size` bytes or the file ends."""
            nonlocal buffer, eof
            parts, have = [buffer], len(buffer)
            while not eof and have < size:
                block = next(blocks, None)
                if block is None:
                    eof = True
                else:
                    parts.append(block)
                    have += len(block)
            buffer = b"".join(parts)

        fill(self.chunk_bytes)
        encoding_note = line_end_note = None
        if buffer.startswith(UTF16_BOMS) or (b"\r" in buffer and b"\n" not in buffer):
            fill(2**62)  # read whole (see the module docstring)
        if buffer.startswith(UTF16_BOMS):
            buffer, encoding_note = decode_to_utf8(name, buffer)
        if b"\r" in buffer and b"\n" not in buffer:
            # Lines ended by CR alone (classic Mac OS, some report tools) would read as one long line.
            buffer = buffer.replace(b"\r", b"\n")
            line_end_note = "radslut med enbart CR (äldre Mac) lästes som radbrytningar"
        if buffer.startswith(UTF8_BOM):
            buffer = buffer[len(UTF8_BOM) :]

        header: list[str] = []
        delimiter = ","
        named_separator: str | None = None
        next_line = 2  # the file's line of the first line of the next piece's body
        stray: list[int] = []
        windows_line: int | None = None  # first line not UTF-8 in a Windows-1252 piece
        utf8_line: int | None = None  # first line with a UTF-8 character in a UTF-8 piece
        first = True
        want = self.chunk_bytes
        while first or buffer:
            cut = len(buffer) if eof else buffer.rfind(b"\n") + 1
            if cut == 0 and not eof:  # no complete line yet
                fill(len(buffer) + want)
                continue
            # The piece's bytes are taken out of the buffer at once, so that the buffer's copy of
            # them is not held while the piece is decoded and parsed.
            raw_piece, buffer = buffer[:cut], buffer[cut:]
            body_first_line = 1 if first else next_line
            text, note = decode_to_utf8(name, raw_piece, line_offset=body_first_line - 1)
            if note is not None:
                encoding_note = encoding_note or note
                if windows_line is None:
                    windows_line = body_first_line + _first_non_utf8_line(raw_piece) - 1
            elif not text.isascii() and utf8_line is None:
                utf8_line = body_first_line + first_utf8_line(text) - 1
            if windows_line is not None and utf8_line is not None:
                raise mixed_encodings(name, windows_line, utf8_line)
            sep_lines = 0
            if first:
                text, named_separator = excel_separator(text)
                if not eof and b"\n" not in text:  # the cut left only Excel's sep= line: no header yet
                    buffer = raw_piece + buffer
                    want *= 2
                    fill(len(buffer) + want)
                    continue
                sep_lines = 0 if named_separator is None else 1
                first_line = text[: text.find(b"\n")] if b"\n" in text else text
                if not eof and first_line.count(b'"') % 2 and _quoted_header_separators(text) == INCOMPLETE:
                    # the cut is inside a quoted column name: its separator is told from all of it
                    buffer = raw_piece + buffer
                    want *= 2
                    fill(len(buffer) + want)
                    continue
                if eof and not text.endswith(b"\n"):
                    text += b"\n"
                header, delimiter = split_header(name, text, named_separator)
                offset = sep_lines  # the piece's line 1 is the header, on the file's line 1 + sep_lines
            else:
                if eof and not text.endswith(b"\n"):
                    text += b"\n"
                # A later piece is parsed without the header line in front: Arrow is given the
                # column names, and putting the line in front meant a copy of the whole piece.
                offset = body_first_line - 1  # the piece's line 1 is the body's first line
            try:
                quotes = find_quotes(name, text, delimiter, offset)
            except ExtractError:
                if eof:
                    raise
                # The cut may be inside a quoted value: read on to the next line break and try again.
                buffer = raw_piece + buffer
                want *= 2
                fill(len(buffer) + want)
                continue
            if first and (end := header_end(text, quotes.active)) != header_end(text, NO_QUOTES):
                # A quoted line break in the header (Excel's Alt+Enter in a column name): the
                # names are those of the whole header record, not of its first line.
                header = multiline_header(name, text, delimiter, end, line=1 + offset)
            next_line = body_first_line + raw_piece.count(b"\n")
            del raw_piece  # not needed to parse (a Windows-1252 piece was copied as UTF-8 into `text`)
            table = _parse_piece(name, text, header, delimiter, quotes, offset, has_header=first)
            stray += quotes.stray_lines
            del text, quotes  # Arrow's table holds copies: not kept while the next piece is read
            want = self.chunk_bytes
            if first or table.num_rows or table.invalid_rows:
                yield table
            del table
            first = False
            if not eof:
                fill(want)
        notes = [note for note in (encoding_note, line_end_note, stray_note(sorted(stray))) if note]
        if named_separator is not None:
            notes.append(f"första raden sep={named_separator} (från Excel) angav avgränsaren")
        self.notes = notes


def _first_non_utf8_line(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return data.count(b"\n", 0, exc.start) + 1
    return 1


def mixed_encodings(name: str, bad_line: int, good_line: int) -> ExtractError:
    from metrics.extracts.encodings import SAVE_AS_UTF8

    return ExtractError(
        name,
        f"filen blandar teckenkodningar: rad {bad_line} är inte UTF-8 (troligen Windows-1252) "
        f"men rad {good_line} är UTF-8; inget importerades",
        hint=f"spara hela filen i en teckenkodning; {SAVE_AS_UTF8}",
        row=bad_line,
    )


def _parse_piece(
    name: str,
    data: bytes,
    header: list[str],
    delimiter: str,
    quotes: Quotes,
    offset: int,
    has_header: bool = True,
) -> RawTable:
    """One piece (the header line, then whole records; or only records) as a table numbered by
    the file's lines.

    `offset`: the file's line of the piece's line 1 is 1 + offset, and so on.
    """
    ids = [column_id(i) for i in range(len(header))]
    starts, multiline = record_lines(data, quotes.active)
    starts += offset
    body = header_end(data, quotes.active) if has_header else 0
    table, invalid = _parse_csv(name, data, ids, delimiter, multiline, body=body)
    for row in invalid:  # Arrow numbers records from 1 (the header, where the piece has one)
        if 0 < row.record <= len(starts):
            row.row_number = int(starts[row.record - 1])
    refuse_quoted_line_breaks_in_broken_rows(name, invalid)
    keep = np.ones(len(starts), dtype=bool)
    keep[0] = not has_header
    keep[[r.record - 1 for r in invalid if 0 < r.record <= len(starts)]] = False
    # A final line break starts no record, so there may be one start more than rows.
    rows = starts[keep][: table.num_rows]
    if len(rows) < table.num_rows:  # never number rows wrongly: refuse instead
        raise ExtractError(
            name,
            "kunde inte avgöra radnumren i filen",
            hint='kontrollera citattecknen ("): ett citerat värde ska börja och sluta vid en avgränsare',
        )
    return RawTable(header, table.append_column(ROW, pa.array(rows, pa.int64())), [], invalid)


def refuse_quoted_line_breaks_in_broken_rows(name: str, invalid: list[InvalidRow]) -> None:
    """A row that spans lines (a quoted line break) and still has the wrong number of fields
    most likely lost its closing quote: its value swallowed the following lines. Refuse the
    file rather than keep those lines aside as one row."""
    for row in invalid:
        if "\n" in row.text:
            raise ExtractError(
                name,
                "ett citerat värde som börjar på raden sträcker sig över flera rader och raden får fel "
                'antal fält; troligen saknas ett avslutande citattecken ("); inget importerades',
                hint="kontrollera citattecknen på raden och raderna efter",
                row=row.row_number,
            )


NO_QUOTES = np.empty(0, dtype=np.int64)


def header_end(data: bytes, quotes: np.ndarray) -> int:
    """Where the header record ends: just after its line end, the first one outside quoted
    values (`quotes`: the positions of the quote characters that quote, `quotes.find_quotes`).

    A bare CR ends it too, as in `split_header` (and for Arrow): what follows it on that line is
    read as a row, as before, not dropped with the header.
    """
    start = 0
    while True:
        newline = data.find(b"\n", start)
        # a bare CR only before that line's LF: never a search through the rest of the piece
        end = data.find(b"\r", start, len(data) if newline < 0 else newline)
        if end < 0:
            end = newline
        if end < 0:
            return len(data)
        if data[end : end + 2] == b"\r\n":
            end += 1
        if not (len(quotes) and np.searchsorted(quotes, end) % 2 == 1):
            return end + 1
        start = end + 1


def record_lines(data: bytes, quotes: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
    """The line of `data` on which each CSV record starts (record 0 on line 1: the header, in a
    piece that has it), and whether any quoted value holds a line break.

    A line break is inside a quoted value exactly when an odd number of quote
    characters precede it (an escaped quote is two quotes, so parity holds). `quotes`
    are the positions of the quote characters that quote (see `quotes.find_quotes`);
    by default every quote character.
    """
    buffer = np.frombuffer(data, dtype=np.uint8)
    if quotes is None and b'"' in data:
        quotes = np.flatnonzero(buffer == ord('"'))
    if quotes is None or not len(quotes):
        # No quoted value, so every line break ends a record: counting them (a byte search) is
        # enough, where finding each one's position took a third of the time of parsing the piece.
        return np.arange(1, data.count(b"\n") + 2, dtype=np.int64), False
    newlines = np.flatnonzero(buffer == ord("\n"))
    ends = np.arange(len(newlines))
    inside = np.searchsorted(quotes, newlines) % 2 == 1
    multiline = bool(inside.any())
    if multiline:
        ends = np.flatnonzero(~inside)
    # The record after the one ending at the j-th line break (from 0) starts on line j + 2.
    return np.concatenate(([1], ends + 2)).astype(np.int64), multiline


def _parse_csv(
    name: str, data: bytes, ids: list[str], delimiter: str, multiline: bool, body: int = 0
) -> tuple[pa.Table, list[InvalidRow]]:
    """`data` parsed from byte `body` on (after the header record, where the piece has one),
    with the records numbered from 1 for the header all the same (see `_parse_piece`)."""
    invalid: list[InvalidRow] = []
    first_record = 2 if body else 1

    def keep_aside(row: pacsv.InvalidRow) -> str:
        invalid.append(
            InvalidRow(
                -1,  # the line is worked out from the record number by the caller
                f"raden har {row.actual_columns} fält men rubrikraden har {row.expected_columns}",
                row.text,
                next(csv.reader([row.text], delimiter=delimiter), []),
                record=row.number + first_record - 1 if row.number is not None else -1,
            )
        )
        return "skip"

    if body >= len(data):  # the header alone (Arrow refuses an empty input)
        return pa.table({i: pa.array([], pa.string()) for i in ids}), invalid
    try:
        table = pacsv.read_csv(
            # Arrow reads the bytes where they are; through io.BytesIO it copied each block first
            # (a quarter of the time to parse a piece). The header record is left out by bytes,
            # not by Arrow's `skip_rows`, which counts lines, quoted line breaks or not.
            pa.BufferReader(pa.py_buffer(data).slice(body)),
            # On one thread: Arrow then numbers the bad records (see `_parse_piece`), and a piece
            # costs a third to a half of the CPU time it does on Arrow's threads (measured with
            # benchmarks/bench_import.py on 2 shared cores, where it was no slower either).
            # Blocks of 16 MB rather than Arrow's 1 MB: half the CPU time to parse, and a quarter of
            # the record batches, which DuckDB then scans with less work per batch (measured with
            # benchmarks/bench_import.py: 0.22 against 0.44 CPU seconds for a 64 MB piece).
            read_options=pacsv.ReadOptions(column_names=ids, use_threads=False, block_size=PARSE_BLOCK_BYTES),
            # Empty lines are kept (as empty rows, dropped later) so that records match lines.
            # Without newlines_in_values Arrow would split a quoted line break at a block
            # boundary into two broken rows, silently; with it, parsing is three times slower.
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=multiline,
                ignore_empty_lines=False,
                invalid_row_handler=keep_aside,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(ids, pa.string()), check_utf8=False, strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid:
        # Arrow's message quotes the line, so it is not passed on.
        raise ExtractError(
            name,
            "kunde inte dela upp filen i rader och fält",
            hint=f"kontrollera att citattecken (\") är parvisa och att fälten skiljs med '{delimiter}'",
        ) from None
    return table, invalid


# --- Excel -------------------------------------------------------------------------------------


def read_xlsx(name: str, data: bytes, sheet: str | None = None) -> RawTable:
    """The first sheet, or `sheet` (its name, or its number from 1); the first non-empty row is the header."""
    import python_calamine  # imported here: only Excel imports need it

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        index = (
            first_visible_sheet(workbook) if sheet is None else sheet_index(name, workbook.sheet_names, sheet)
        )
        # skip_empty_area=False keeps the sheet's own row numbers (the list starts at A1).
        cells = workbook.get_sheet_by_index(index).to_python(skip_empty_area=False)
    except ExtractError:
        raise
    except Exception:  # calamine raises its own error types for damaged files
        raise ExtractError(
            name, "kunde inte läsa Excel-filen", hint="öppna den i Excel och spara den igen som .xlsx"
        ) from None
    start = next((i for i, row in enumerate(cells) if any(_cell_text(v) is not None for v in row)), None)
    if start is None:
        which = "första bladet" if sheet is None else f"bladet '{sheet}'"
        raise ExtractError(
            name, f"{which} i Excel-filen är tomt", hint="lägg utdraget där eller välj blad med --sheet"
        )
    header = [clean_name(_cell_text(v) or "") for v in cells[start]]
    body = cells[start + 1 :]
    # calamine's rows all have the sheet's width, so this transposes rows into columns.
    by_column = list(itertools.zip_longest(*body, fillvalue=None))[: len(header)] if body else []
    columns = {column_id(i): _excel_column(values) for i, values in enumerate(by_column)}
    for i in range(len(by_column), len(header)):
        columns[column_id(i)] = pa.array([None] * len(body), pa.string())
    columns[ROW] = pa.array(np.arange(start + 2, start + 2 + len(body), dtype=np.int64))
    return RawTable(header, pa.table(columns))


def first_visible_sheet(workbook: Any) -> int:
    """The first sheet Excel shows: a hidden first sheet (old data kept out of sight) is not 'the first'."""
    import python_calamine

    shown = python_calamine.SheetVisibleEnum.Visible
    return next((i for i, sheet in enumerate(workbook.sheets_metadata) if sheet.visible == shown), 0)


def sheet_index(name: str, sheets: Sequence[str], sheet: str) -> int:
    """The index of `sheet`: a sheet's name (exactly, else ignoring case) or its number from 1."""
    wanted = sheet.strip()
    for candidates in (sheets, [s.casefold() for s in sheets]):
        key = wanted if candidates is sheets else wanted.casefold()
        if key in candidates:
            return list(candidates).index(key)
    if wanted.isdigit() and 1 <= int(wanted) <= len(sheets):
        return int(wanted) - 1
    # A sheet per patient, named after the personnummer, is a real habit: such names are not shown.
    shown = [
        (s if not (looks_like_personnummer(s) or contains_personnummer(s)) else "(namnet visas inte)")
        for s in sheets
    ]
    asked = "(namnet visas inte)" if looks_like_personnummer(sheet) or contains_personnummer(sheet) else sheet
    listed = ", ".join(f"{i} '{s}'" for i, s in enumerate(shown, start=1))
    raise ExtractError(
        name, f"Excel-filen har inget blad '{asked}'", hint=f"ange namn eller nummer; bladen är {listed}"
    )


def _excel_column(values: Sequence[object]) -> pa.Array:
    if all(type(v) is str for v in values):  # the common case needs no per-cell work
        return pa.array(values, pa.string())
    return pa.array([_cell_text(v) for v in values], pa.string())


def _cell_text(value: object) -> str | None:
    """An Excel cell as the text a CSV export would hold."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Excel stores every number as a float: 580.0 is the code 580, not a decimal.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        # calamine returns a date for a date-time cell at midnight; keep the time so
        # that a timestamp column accepts it (date columns accept a time of day too).
        return value.strftime("%Y-%m-%d 00:00:00")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    return str(value)


# --- Parquet -----------------------------------------------------------------------------------


def read_parquet(name: str, data: bytes) -> RawTable:
    """The whole file's bytes as one table."""
    (table,) = list(ParquetChunks(name, pa.BufferReader(data), batch_rows=2**62))
    return table


class ParquetChunks(Chunks):
    """A Parquet file's record batches as text tables, numbered by record from 1."""

    def __init__(self, name: str, source: Any, batch_rows: int | None = None) -> None:
        super().__init__()
        self.name = name
        self.source = source  # a path or a readable buffer
        self.batch_rows = batch_rows or PARQUET_BATCH_ROWS

    def __iter__(self) -> Iterator[RawTable]:
        name = self.name
        try:
            file = pq.ParquetFile(self.source)
            schema = file.schema_arrow
            # On one thread, like a CSV piece (see `_parse_csv`): Arrow's threads cost more CPU
            # time than they save for the few columns of an extract.
            batches = file.iter_batches(batch_size=min(self.batch_rows, 2**31 - 1), use_threads=False)
            header = [clean_name(n) for n in schema.names]
            first_row, yielded = 1, False
            while True:
                batch = next(batches, None)
                if batch is None:
                    break
                columns = {
                    column_id(i): _parquet_text(name, header[i], pa.chunked_array([col], col.type))
                    for i, col in enumerate(batch.columns)
                }
                columns[ROW] = pa.array(np.arange(first_row, first_row + batch.num_rows, dtype=np.int64))
                first_row += batch.num_rows
                yielded = True
                yield RawTable(header, pa.table(columns))
        except (pa.ArrowException, OSError):
            raise ExtractError(
                name, "kunde inte läsa Parquet-filen", hint="kontrollera att filen är hel"
            ) from None
        if not yielded:  # no rows: the header still decides whether the columns are right
            empty = {column_id(i): pa.array([], pa.string()) for i in range(len(header))}
            yield RawTable(header, pa.table({**empty, ROW: pa.array([], pa.int64())}))


def read_chunks(path: Path, sheet: str | None = None, chunk_bytes: int | None = None) -> Chunks:
    """The file's pieces (see the module docstring); `sheet`: see `read_xlsx`."""
    name, suffix = path.name, path.suffix.lower()
    require_supported(name, suffix)
    if suffix in EXCEL_SUFFIXES:
        return _Whole(lambda: read_xlsx(name, read_bytes(path), sheet))
    if suffix in PARQUET_SUFFIXES:
        return ParquetChunks(name, path)
    return CsvChunks(name, file_blocks(path), chunk_bytes or CHUNK_BYTES)


class _Whole(Chunks):
    def __init__(self, read: Any) -> None:
        super().__init__()
        self.read = read

    def __iter__(self) -> Iterator[RawTable]:
        table = self.read()
        self.notes = table.notes
        yield table


class file_blocks:
    """The bytes of the file at `path` in blocks of `READ_BYTES`, read afresh on each iteration."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __iter__(self) -> Iterator[bytes]:
        try:
            with self.path.open("rb") as file:
                while block := file.read(READ_BYTES):
                    yield block
        except FileNotFoundError:
            raise ExtractError(
                self.path.name, "filen finns inte", hint=f"kontrollera sökvägen {self.path}"
            ) from None
        except OSError as exc:
            raise ExtractError(self.path.name, f"kunde inte läsa filen ({exc.strerror})") from None


def _parquet_text(name: str, column_name: str, column: pa.ChunkedArray) -> pa.ChunkedArray:
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = kind.value_type
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:  # an instant: the contract's times are Swedish local time
            column = column.cast(pa.timestamp(kind.unit, tz=SWEDISH_TIME))
        return pc.strftime(column, format="%Y-%m-%d %H:%M:%S")
    if pa.types.is_boolean(kind):
        return pc.if_else(column, "true", "false")
    if pa.types.is_floating(kind):
        # Arrow formats large whole floats in exponent form (191212121212.0 as "1.91212121212e+11"),
        # which hides a personnummer from the check: whole values are written as integers, like an
        # Excel cell; others as Arrow writes them.
        whole = pc.and_(pc.equal(pc.floor(column), column), pc.less(pc.abs(column), 2.0**53))
        as_int = pc.cast(pc.if_else(whole, column, 0.0), pa.int64()).cast(pa.string())
        return pc.if_else(whole, as_int, column.cast(pa.string()))
    try:
        # Arrow formats the float 580.0 as "580", like an Excel cell.
        return column.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise ExtractError(
            name,
            f"kolumnen '{column_name}' har en Parquet-typ som inte stöds ({kind})",
            hint="spara kolumnen som text, tal eller datum",
        ) from None


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ExtractError(path.name, "filen finns inte", hint=f"kontrollera sökvägen {path}") from None
    except OSError as exc:
        raise ExtractError(path.name, f"kunde inte läsa filen ({exc.strerror})") from None
