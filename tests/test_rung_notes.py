"""The publishing ladder on the board: an indicator published on a coarser rung for kommuner
(docs/disclosure.md, "The publishing ladder") says which kommun values are not published and why,
instead of showing them as "saknas" (which means the kommun did not deliver).

Rungs: 1 no kommun months; 2 also no kommun quarters by sex and age band; 3 only years per kommun;
4 no kommun values at all (only län and areas).
"""

from __future__ import annotations

import json

import pytest

from metrics.dashboard.logic.rung_notes import ladder_note, rung_note, rungs

MONTHS = (
    "Månadsvärden per kommun visas inte för den här indikatorn: röjandekontrollen kunde inte "
    "bevisa skyddet av så fin indelning – se kvartal."
)
QUARTER_BREAKDOWNS = (
    "Kvartalsvärden per kön och åldersgrupp visas inte per kommun för den här indikatorn: "
    "röjandekontrollen kunde inte bevisa skyddet av så fin indelning – välj år."
)
YEARS_ONLY = (
    "Bara årsvärden visas per kommun för den här indikatorn: röjandekontrollen kunde inte "
    "bevisa skyddet av så fin indelning – se år."
)
NONE_AT_ALL = (
    "Inga kommunvärden visas för den här indikatorn, bara län och områden: röjandekontrollen "
    "kunde inte bevisa skyddet av kommunernas värden."
)


# (rung, period type, breakdown) → the note; worked out from the ladder's definition above
@pytest.mark.parametrize(
    ("rung", "period_type", "breakdown", "expected"),
    [
        # rung 0: the catalogue's own rule only – nothing for the ladder to say
        (0, "month", "total", None),
        (0, "quarter", "sex", None),
        (0, "year", "total", None),
        # rung 1: only the months go
        (1, "month", "total", MONTHS),
        (1, "month", "sex", MONTHS),
        (1, "quarter", "total", None),
        (1, "quarter", "age_band", None),
        (1, "year", "sex", None),
        # rung 2: months, and quarters by sex and age band; quarter totals stay
        (2, "month", "total", MONTHS),
        (2, "month", "age_band", MONTHS),
        (2, "quarter", "total", None),
        (2, "quarter", "sex", QUARTER_BREAKDOWNS),
        (2, "quarter", "age_band", QUARTER_BREAKDOWNS),
        (2, "year", "sex", None),
        # rung 3: only years per kommun, with their breakdowns
        (3, "month", "total", YEARS_ONLY),
        (3, "quarter", "total", YEARS_ONLY),
        (3, "quarter", "sex", YEARS_ONLY),
        (3, "year", "total", None),
        (3, "year", "age_band", None),
        # rung 4: no kommun values whatever the choice
        (4, "month", "total", NONE_AT_ALL),
        (4, "quarter", "sex", NONE_AT_ALL),
        (4, "year", "total", NONE_AT_ALL),
        (4, "year", "age_band", NONE_AT_ALL),
    ],
)
def test_each_rung_names_what_is_not_published_for_the_chosen_period_and_breakdown(
    rung: int, period_type: str, breakdown: str, expected: str | None
) -> None:
    assert rung_note(rung, period_type, breakdown) == expected


def test_the_notes_never_say_the_values_are_missing() -> None:
    # "saknas" means the kommun did not deliver; withheld values were delivered
    for note in (MONTHS, QUARTER_BREAKDOWNS, YEARS_ONLY, NONE_AT_ALL):
        assert "saknas" not in note


def test_the_rungs_are_read_from_computes_audit_record() -> None:
    record = json.dumps({"passed": True, "ladder": {"digitala_kontakter": 4, "aterinskrivning_30d_65": 1}})
    ladder = rungs(record)
    assert ladder == {"digitala_kontakter": 4, "aterinskrivning_30d_65": 1}
    assert rungs(None) == {} and rungs(json.dumps({"passed": True})) == {}  # before the ladder
    assert ladder_note(ladder, "digitala_kontakter", "year") == NONE_AT_ALL
    assert ladder_note(ladder, "aterinskrivning_30d_65", "month") == MONTHS
    assert ladder_note(ladder, "fast_lakarkontakt", "month") is None  # not on the ladder: rung 0
