"""Quote characters in a CSV file: which quote a value, which are plain text, and which never close.

CSV quotes a value by starting it with `"` and ending it with `"` before the next
separator or line break; inside, `""` is one quote character. The CSV parser
(Arrow's, like Python's) reads a `"` in the middle of an unquoted value
(`VC "Norr`) as plain text. To number rows, the importer must know which line
breaks are inside quoted values, so it must tell these apart too: counting every
quote would take the stray one for an opening quote and misnumber (or lose) the
rest of the file. A quote that opens a value and never closes (or only closes
lines later, in the middle of some other value) would swallow the rest of the
file into one value: that file is refused, naming the line where the quote opened.

The common case is decided vectorised: when every quote fits the pattern above,
nothing more is done. Only a file with a misfit walks its quote runs one by one,
from the first misfit on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metrics.errors import ExtractError
from metrics.extracts.encodings import line_of

QUOTE = ord('"')
STRAY_LINES_SHOWN = 5


@dataclass
class Quotes:
    """The positions of the quote characters that quote, and the lines of those read as plain text."""

    active: np.ndarray  # byte positions, ascending
    stray_lines: list[int]  # lines in the data (from 1), ascending


def find_quotes(name: str, data: bytes, delimiter: str, line_offset: int = 0) -> Quotes:
    """Classify every `"` of `data`; raises `ExtractError` for a quote that never closes."""
    if b'"' not in data:  # most files: a fast byte search, no array over the whole file
        return Quotes(np.empty(0, dtype=np.int64), [])
    buffer = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(buffer == QUOTE)
    # Runs of adjacent quotes ('""' is one run of two) and what is just before and after each.
    first = np.ones(len(quotes), dtype=bool)
    first[1:] = np.diff(quotes) != 1
    run_first = np.flatnonzero(first)
    starts = quotes[run_first]
    lengths = np.diff(np.append(run_first, len(quotes)))
    ends = starts + lengths
    edge = np.zeros(256, dtype=bool)
    edge[[ord(delimiter), ord("\n"), ord("\r")]] = True
    after_edge = np.ones(len(starts), dtype=bool)  # the run starts a value
    after_edge[starts > 0] = edge[buffer[starts[starts > 0] - 1]]
    before_edge = np.ones(len(starts), dtype=bool)  # the run ends a value
    inner = ends < len(buffer)
    before_edge[inner] = edge[buffer[ends[inner]]]
    # Counting every quote: is a run inside a quoted value, and is it still inside after it?
    inside_before = (np.cumsum(lengths) - lengths) % 2 == 1
    inside_after = (inside_before ^ (lengths % 2 == 1)).astype(bool)
    misfit = (~inside_before & ~after_edge) | (~inside_after & ~before_edge)
    if not misfit.any() and not inside_after[-1]:
        return Quotes(quotes, [])

    # Walk from the last run before the first misfit that starts outside a quoted value.
    first_misfit = int(np.argmax(misfit)) if misfit.any() else len(starts) - 1
    outside = np.flatnonzero(~inside_before[: first_misfit + 1])
    begin = int(outside[-1]) if len(outside) else 0
    active = np.ones(len(starts), dtype=bool)
    inside, opened = False, -1
    run_starts, run_lengths = starts.tolist(), lengths.tolist()
    starts_value, ends_value = after_edge.tolist(), before_edge.tolist()
    for i in range(begin, len(run_starts)):
        position, closing = run_starts[i], run_lengths[i]
        if not inside:
            if not starts_value[i]:
                active[i] = False  # in the middle of an unquoted value: plain text
                continue
            inside, opened, closing = True, position, closing - 1
        if closing % 2:  # '""' pairs are quotes inside the value; an odd one ends it
            inside = False
            if not ends_value[i] and data.find(b"\n", opened, position) >= 0:
                # It "closes" lines later, in the middle of a value: the real closing quote is missing.
                raise unclosed(name, data, opened, line_offset)
    if inside:
        raise unclosed(name, data, opened, line_offset)
    stray = starts[~active]
    lines = sorted({line_of(data, int(p)) + line_offset for p in stray[: STRAY_LINES_SHOWN * 10]})
    return Quotes(quotes[np.repeat(active, lengths)], lines)


def unclosed(name: str, data: bytes, position: int, line_offset: int) -> ExtractError:
    line = line_of(data, position) + line_offset
    return ExtractError(
        name,
        'ett citattecken (") inleder ett värde på raden men avslutas aldrig, så resten av filen '
        "skulle ha lästs som ett enda värde; inget importerades",
        hint='avsluta värdet med " eller ta bort citattecknet; ett citattecken inuti ett citerat värde '
        'skrivs som två ("")',
        row=line,
    )


def stray_note(lines: list[int]) -> str | None:
    """The import log's note about quotes read as plain text, or None."""
    if not lines:
        return None
    shown = ", ".join(str(n) for n in lines[:STRAY_LINES_SHOWN])
    more = " m.fl." if len(lines) > STRAY_LINES_SHOWN else ""
    return f'citattecken (") mitt i ett värde lästes som vanligt tecken på rad {shown}{more}'
