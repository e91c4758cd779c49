"""Issue 9 (primärvård och kommun): each new indicator's hand-worked YAML test fails when its
definition is wrong.

Kept apart from test_yaml_tests.py's MUTATIONS so that branches adding indicators in parallel
do not edit the same list; the mechanism (`_edited`) is the same.
"""

from __future__ import annotations

import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.compute.yaml_tests import run_catalogue_tests
from tests.test_yaml_tests import SHIPPED, _edited

# (indicator, text in its block, replacement): each is a plausible mistake in the definition.
MUTATIONS = [
    # nurses' COC over doctors' contacts instead
    ("kontinuitet_sjukskoterska", "profession = 'sjukskoterska' AND ", "profession = 'lakare' AND "),
    # contacts without a known practitioner counted as one practitioner
    ("kontinuitet_sjukskoterska", " AND staff_id IS NOT NULL AND staff_id <> ''", ""),
    (
        "kontinuitet_alla",
        'where: "staff_id IS NOT NULL',
        "where: \"profession = 'lakare' AND staff_id IS NOT NULL",
    ),
    ("kontinuitet_alla", "per_person: continuity_index", "per_person: usual_provider"),
    ("kontinuitet_upc_alla", "per_person: usual_provider", "per_person: continuity_index"),
    (
        "kontinuitet_upc_alla",
        'where: "staff_id IS NOT NULL',
        "where: \"profession = 'lakare' AND staff_id IS NOT NULL",
    ),
    ("fast_lakarkontakt_75", "age: {min: 75}", "age: {min: 74}"),
    ("fast_lakarkontakt_75", "age: {min: 75}", "age: {min: 76}"),
    ("fast_lakarkontakt_75", "    snapshot: last\n", ""),
    ("hembesok_lakare_75", " AND profession = 'lakare'", ""),
    ("hembesok_lakare_75", "age: {min: 75}", "age: {min: 76}"),
    ("kommunal_hsv_65", "provider = 'kommun'", "provider <> 'private'"),
    ("kommunal_hsv_65", "age: {min: 65}", "age: {min: 64}"),
    ("kommunal_hsv_65", "age: {min: 65}", "age: {min: 66}"),
    ("privata_kontakter", "    where: \"provider <> 'kommun'\"\n", ""),
    ("privata_kontakter", "provider = 'private'", "provider = 'region'"),
    ("sip_initierad_region", "initiated_by = 'region'", "initiated_by IN ('region', 'person')"),
    ("sip_initierad_kommun", "initiated_by = 'kommun'", "initiated_by IN ('kommun', 'annan')"),
    ("sip_initierad_person", "initiated_by = 'person'", "initiated_by IN ('person', 'annan')"),
    ("sip_75", "age: {min: 75}", "age: {min: 74}"),
    ("sip_75", "age: {min: 75}", "age: {min: 76}"),
    ("hemtjanst_timmar_65", "numerator: {sum: hours}", 'numerator: {sum: hours, where: "age < 90"}'),
    ("hemtjanst_timmar_65", "age: {min: 65}", "age: {min: 64}"),
    ("hemtjanst_timmar_65", "age: {min: 65}", "age: {min: 66}"),
    ("hemtjanst_andel_65", "numerator: persons", "numerator: rows"),
    ("hemtjanst_andel_65", "age: {min: 65}", "age: {min: 64}"),
    ("hemtjanst_andel_65", "age: {min: 65}", "age: {min: 66}"),
    ("proaktiva_kontakter_75", "age: {min: 75}", "age: {min: 74}"),
    ("proaktiva_kontakter_75", "age: {min: 75}", "age: {min: 76}"),
    ("proaktiva_kontakter_75", "where: planned}", "where: NOT planned}"),
    ("proaktiva_kontakter_barn", "age: {max: 19}", "age: {max: 20}"),
    ("proaktiva_kontakter_barn", "age: {max: 19}", "age: {max: 18}"),
    ("proaktiva_kontakter_barn", "age: {max: 19}", "age: {min: 1, max: 19}"),
    ("psykosocial_kontakt_unga", "count: persons", "count: rows"),
    ("psykosocial_kontakt_unga", "('psykolog', 'kurator')", "('psykolog')"),
    ("psykosocial_kontakt_unga", "age: {max: 19}", "age: {max: 20}"),
    ("psykosocial_kontakt_unga", "age: {max: 19}", "age: {max: 18}"),
]


@pytest.mark.parametrize(
    ("indicator", "old", "new"), MUTATIONS, ids=[f"{m[0]}-{i}" for i, m in enumerate(MUTATIONS)]
)
def test_a_wrong_definition_fails_its_indicators_test(tmp_path, indicator, old, new):
    catalogue = load_catalogue(_edited(tmp_path, indicator, old, new), strict=True).catalogue
    outcomes = run_catalogue_tests(catalogue, [indicator])
    assert outcomes and any(not o.ok for o in outcomes)


def test_every_issue_9_primary_care_indicator_has_a_mutation():
    ids = {i.id for i in load_catalogue(SHIPPED, strict=True).catalogue.indicators}
    mutated = {m[0] for m in MUTATIONS}
    assert mutated <= ids
    assert len(mutated) == 16
