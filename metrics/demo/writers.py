"""Write Arrow tables as the files regions and kommuner send: CSV, Excel and Parquet.

Every writer is deterministic: the same table gives the same bytes, so a
re-generated demo is byte-identical and its re-import is a no-op.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

_FIXED_TIME = (2025, 1, 1, 0, 0, 0)  # zip entry times and document properties of Excel files
_BATCH_ROWS = 500_000


def plain_strings(table: pa.Table) -> pa.Table:
    """Dictionary-encoded columns decoded to plain values."""
    columns = [
        col.cast(col.type.value_type) if pa.types.is_dictionary(col.type) else col for col in table.columns
    ]
    return pa.table(columns, names=table.column_names)


def write_csv(
    table: pa.Table, path: Path, *, delimiter: str = ",", encoding: str = "utf-8", eol: str = "\n"
) -> Path:
    """A CSV file with an unquoted header; values are never quoted (none contains the delimiter)."""
    options = pacsv.WriteOptions(
        include_header=False,
        delimiter=delimiter,
        eol=eol,
        quoting_style="none",
        batch_size=65_536,
    )
    header = (delimiter.join(table.column_names) + eol).encode(encoding)
    with open(path, "wb") as out:
        out.write(header)
        if encoding.replace("-", "").lower() == "utf8":
            pacsv.write_csv(table, out, write_options=options)
            return path
        # Arrow writes UTF-8 only: transcode in slices to keep memory flat.
        for start in range(0, table.num_rows, _BATCH_ROWS):
            buffer = io.BytesIO()
            pacsv.write_csv(table.slice(start, _BATCH_ROWS), buffer, write_options=options)
            out.write(buffer.getvalue().decode("utf-8").encode(encoding))
    return path


def write_parquet(table: pa.Table, path: Path) -> Path:
    pq.write_table(plain_strings(table), path, compression="zstd")
    return path


def write_xlsx(
    table: pa.Table, path: Path, *, sheet: str, date_format: str = "yyyy-mm-dd", col_widths: int = 16
) -> Path:
    """An Excel workbook with one sheet; date columns become real Excel dates."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(table.column_names)
    columns = [col.to_pylist() for col in plain_strings(table).columns]
    date_cols = [i for i, f in enumerate(table.schema) if pa.types.is_date(f.type)]
    for row in zip(*columns, strict=True):
        ws.append(list(row))
    for i in date_cols:
        for cell in ws.iter_cols(min_col=i + 1, max_col=i + 1, min_row=2):
            for c in cell:
                c.number_format = date_format
    for letter in "ABCDEFGHIJ"[: len(table.column_names)]:
        ws.column_dimensions[letter].width = col_widths
    fixed = dt.datetime(*_FIXED_TIME)
    wb.properties.created = fixed
    wb.properties.creator = "Mätavla demo"
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_deterministic_zip(buffer.getvalue(), fixed))
    return path


def _deterministic_zip(data: bytes, when: dt.datetime) -> bytes:
    """The zip archive with fixed entry times and a fixed modification date in the document properties."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, content)
    return out.getvalue()
