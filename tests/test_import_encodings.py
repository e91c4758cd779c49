"""Whether a piece is UTF-8 is decided by Arrow's vectorised check (`encodings.is_utf8`).

It must refuse exactly what Python's strict UTF-8 decoder refuses, or a Windows-1252 file would be
stored as mojibake (Arrow too lenient) or a UTF-8 file re-encoded (too strict). The cases are
those of the Unicode standard's table 3-7 (well-formed byte sequences) and its edges.
"""

from __future__ import annotations

import pytest

from metrics.extracts.encodings import decode_to_utf8, is_utf8

CASES = {
    "ascii": b"contact_id,care_unit\nC1,VC\n",
    "swedish letters": "Läkarhuset Lindö, Åby\n".encode(),
    "three-byte (U+2003, U+FFFD)": "a\u2003b\ufffd".encode(),
    "four-byte (U+1F600, U+10FFFF)": "\U0001f600\U0010ffff".encode(),
    "noncharacter U+FFFE": "\ufffe".encode(),
    "windows-1252 å": "Åby vårdcentral".encode("cp1252"),
    "lone continuation byte": b"a\x80b",
    "overlong NUL (C0 80)": b"\xc0\x80",
    "overlong slash (C1 AF)": b"\xc1\xaf",
    "overlong three-byte (E0 80 AF)": b"\xe0\x80\xaf",
    "overlong four-byte (F0 80 80 AF)": b"\xf0\x80\x80\xaf",
    "surrogate U+D800 (ED A0 80)": b"\xed\xa0\x80",
    "surrogate U+DFFF (ED BF BF)": b"\xed\xbf\xbf",
    "past U+10FFFF (F4 90 80 80)": b"\xf4\x90\x80\x80",
    "lead byte F5": b"\xf5\x80\x80\x80",
    "lead byte FF": b"\xff",
    "cut off at the end (C3)": "Lindö".encode()[:-1],
    "cut off in the middle (E2 80 x)": b"\xe2\x80x",
    "two leads in a row": b"\xc3\xc3\xa5",
}


@pytest.mark.parametrize("data", CASES.values(), ids=CASES.keys())
def test_arrow_refuses_exactly_what_pythons_strict_decoder_refuses(data):
    try:
        data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False

    assert is_utf8(data) is valid


def test_a_piece_that_is_not_utf8_is_still_read_as_windows_1252():
    text, note = decode_to_utf8("f.csv", "kommun,namn\n0580,Åby\n".encode("cp1252"))

    assert text.decode("utf-8") == "kommun,namn\n0580,Åby\n"
    assert note is not None and "Windows-1252" in note
