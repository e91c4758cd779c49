"""Plans as data (plans/*.yaml): validation with file:line, each län on its own plan, Planen's counts.

Every count below is worked out by hand from a small results table written in the test.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from metrics.catalogue.loader import load_catalogue
from metrics.cli import main
from metrics.db import connect, set_meta
from metrics.errors import CatalogueError, Problem
from tests.markup_text import markup_texts, raw_markup

ROOT = Path(__file__).resolve().parents[1]

# A small catalogue in the new format: no plan_areas anywhere.
CATALOGUE = """\
version: 1
indicators:
  - id: fast_lakarkontakt
    title: Fast läkarkontakt
    description: Andel listade med fast läkarkontakt.
    source: listing
    numerator: {count: persons, where: named_gp}
    denominator: persons
    multiplier: 100
    unit: "%"
    direction: higher
  - id: digitala
    title: Digitala kontakter
    description: Andel kontakter via video eller chatt.
    source: contacts
    numerator: {count: rows, where: "mode IN ('video', 'chatt')"}
    denominator: rows
    multiplier: 100
    unit: "%"
    direction: neutral
"""

GOOD_PLAN = """\
id: test
name: Testplanen
lan: ["05"]
nodes:
  - id: kontinuitet
    title: Ökad kontinuitet
    indicators: [fast_lakarkontakt]
  - id: tillganglighet
    title: Ökad tillgänglighet
    children:
      - id: digitalt
        title: Digitalt
        indicators: [digitala]
"""


def folder(tmp_path: Path, plans: dict[str, str], catalogue: str = CATALOGUE) -> Path:
    path = tmp_path / "indicators.yaml"
    path.write_text(catalogue, encoding="utf-8")
    (tmp_path / "plans").mkdir(exist_ok=True)
    for name, text in plans.items():
        (tmp_path / "plans" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def errors(path: Path) -> list[Problem]:
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(path, strict=True)
    return exc.value.problems


# --- loading ------------------------------------------------------------------------------------


def test_a_plan_file_is_read_with_its_tree_and_mapping(tmp_path: Path) -> None:
    result = load_catalogue(folder(tmp_path, {"test.yaml": GOOD_PLAN}), strict=True)
    assert result.problems == []
    cat = result.catalogue
    plan = cat.plan_for("05")
    assert plan is not None and plan.id == "test" and plan.name == "Testplanen" and plan.lans == ("05",)
    assert plan.file == "plans/test.yaml"
    assert [(depth, node.id) for depth, node in plan.walk()] == [
        (0, "kontinuitet"),
        (0, "tillganglighet"),
        (1, "digitalt"),
    ]
    assert plan.node("tillganglighet").all_indicators == ("digitala",)  # type: ignore[union-attr]
    assert [[n.id for n in path] for path in plan.paths_of("digitala")] == [["tillganglighet", "digitalt"]]
    # a län without a plan file gets the fallback: one heading with every indicator
    fallback = cat.plan_for("23")
    assert fallback is not None and fallback.fallback


def test_the_bundled_plans_use_the_fixed_node_ids() -> None:
    """The ids in notes/plan_nodes.md: other catalogues' indicators are mapped to exactly these."""
    cat = load_catalogue(ROOT / "indicators.yaml", strict=True).catalogue
    ost, jamt = cat.plan_for("05"), cat.plan_for("23")
    assert ost is not None and ost.id == "ostergotland" and ost.file == "plans/ostergotland.yaml"
    assert jamt is not None and jamt.id == "jamtland_harjedalen"
    assert [(d, n.id) for d, n in ost.walk()] == [
        (0, "uppfoljning"),
        (1, "resursanvandning"),
        (1, "kvalitet"),
        (1, "arbetsmiljo"),
        (1, "fokusflyttningar"),
        (2, "person_relation"),
        (2, "samordning_personens_fokus"),
        (2, "proaktiv"),
        (2, "medskapare"),
        (0, "prioriterade"),
        (1, "personcentrering"),
        (1, "akuta_floden"),
        (1, "narvardsplatser"),
        (1, "team_komplexa_behov"),
    ]
    strategies = {
        "delaktighet": ["personcentrerat_arbetssatt", "medskapande_inflytande", "sip_metodstod"],
        "kontinuitet": ["fasta_kontakter", "teamsamverkan", "overgangar"],
        "tillganglighet": ["konsultation", "sabo_korttid_hemsjukvard", "andra_vardformer"],
        "halsoframjande": ["halsoframjande_arbetssatt", "barn_och_unga", "tidig_upptackt"],
        "samordning": ["digitala_moten", "it_forum", "kompetensforsorjning"],
    }
    assert {n.id: [c.id for c in n.children] for n in jamt.nodes} == strategies
    # every indicator of the catalogue follows up some heading of some plan
    mapped = set(ost.indicator_ids) | set(jamt.indicator_ids)
    assert mapped == {ind.id for ind in cat.indicators}


# --- validation: every problem with plans/<file>:<line> ------------------------------------------


def test_an_unknown_indicator_is_named_with_its_line_and_a_guess(tmp_path: Path) -> None:
    plan = GOOD_PLAN.replace("indicators: [fast_lakarkontakt]", "indicators: [fast_lakarkontak]")
    [problem] = errors(folder(tmp_path, {"test.yaml": plan}))
    assert problem.file == "plans/test.yaml"
    assert problem.line == 7  # the line of `indicators:` under kontinuitet
    assert problem.message == "planen 'test', nod 'kontinuitet': okänd indikator 'fast_lakarkontak'"
    assert problem.hint == "menade du 'fast_lakarkontakt'?"
    assert str(problem).startswith("plans/test.yaml:7: ")


def test_an_unknown_key_is_named_with_its_line_and_a_guess(tmp_path: Path) -> None:
    plan = GOOD_PLAN.replace("        title: Digitalt", "        titel: Digitalt")
    found = errors(folder(tmp_path, {"test.yaml": plan}))
    unknown = [p for p in found if "okänd nyckel" in p.message]
    assert [(p.line, p.message, p.hint) for p in unknown] == [
        (12, "planen 'test', nod 'digitalt': okänd nyckel 'titel'", "menade du 'title'?")
    ]
    # and the title it lacks is named on the node's line
    assert any(p.line == 11 and "'title' saknas" in p.message for p in found)
    top = GOOD_PLAN.replace("name: Testplanen", "name: Testplanen\nnamn: x")
    [problem] = errors(folder(tmp_path, {"test.yaml": top}))
    assert (problem.line, problem.message, problem.hint) == (
        3,
        "planen: okänd nyckel 'namn'",
        "menade du 'name'?",
    )


def test_a_duplicate_node_id_is_named_where_it_repeats(tmp_path: Path) -> None:
    plan = GOOD_PLAN.replace("      - id: digitalt", "      - id: kontinuitet")
    [problem] = errors(folder(tmp_path, {"test.yaml": plan}))
    assert problem.file == "plans/test.yaml" and problem.line == 11
    assert problem.message == "planen 'test', nod 'kontinuitet': id:t finns redan på rad 5"


def test_a_lan_with_two_plans_is_an_error_in_the_second_file(tmp_path: Path) -> None:
    second = GOOD_PLAN.replace("id: test", "id: annan")
    found = errors(folder(tmp_path, {"a.yaml": GOOD_PLAN, "b.yaml": second}))
    assert [(p.file, p.line) for p in found] == [("plans/b.yaml", 3)]
    assert found[0].message == "länet 05 har redan planen 'test' (plans/a.yaml); ett län följer en plan"


def test_a_plan_for_an_unknown_lan_and_an_unquoted_code_are_errors(tmp_path: Path) -> None:
    [problem] = errors(folder(tmp_path, {"test.yaml": GOOD_PLAN.replace('lan: ["05"]', 'lan: ["99"]')}))
    assert (problem.file, problem.line, problem.message) == (
        "plans/test.yaml",
        3,
        "planen 'test': okänd länskod '99'",
    )
    [problem] = errors(folder(tmp_path, {"test.yaml": GOOD_PLAN.replace('lan: ["05"]', "lan: 23")}))
    assert problem.line == 3
    assert (
        problem.message == "planen 'test': länskoden 23 står utan citattecken, så YAML läste den som ett tal"
    )
    assert problem.hint == 'skriv koden med två siffror inom citattecken, t.ex. "23"'


def test_a_yaml_error_in_a_plan_names_the_plan_file(tmp_path: Path) -> None:
    [problem] = errors(
        folder(tmp_path, {"test.yaml": GOOD_PLAN.replace("title: Digitalt", "title: [Digitalt")})
    )
    assert problem.file == "plans/test.yaml" and problem.line is not None


def test_an_indicator_in_no_plan_is_a_warning_not_an_error(tmp_path: Path) -> None:
    plan = GOOD_PLAN.replace("        indicators: [digitala]\n", "")
    result = load_catalogue(folder(tmp_path, {"test.yaml": plan}), strict=True)
    [warning] = result.problems
    assert warning.level == "warning" and (warning.file, warning.line) == ("indicators.yaml", 12)
    assert warning.message == (
        "indikatorn 'digitala' följer inte upp något område i någon plan och visas inte på tavlan"
    )


def test_a_plans_own_target_overrides_the_indicators_in_its_lan(tmp_path: Path) -> None:
    plan = GOOD_PLAN + "targets:\n  fast_lakarkontakt: {value: 65, year: 2026, example: true}\n"
    catalogue = CATALOGUE.replace("    direction: higher\n", "    direction: higher\n    target: 55\n")
    cat = load_catalogue(folder(tmp_path, {"test.yaml": plan}, catalogue), strict=True).catalogue
    ind = cat.indicator("fast_lakarkontakt")
    own = cat.target_for(ind, "05")
    assert own is not None and own.value == 65.0 and own.year == 2026 and own.example
    other = cat.target_for(ind, "23")  # no plan of its own: the indicator's target
    assert other is not None and other.value == 55.0 and not other.example
    bad = GOOD_PLAN + "targets:\n  fast_lakarkontak: 65\n"
    [problem] = errors(folder(tmp_path, {"test.yaml": bad}))
    assert (problem.line, problem.hint) == (15, "menade du 'fast_lakarkontakt'?")  # GOOD_PLAN has 13 lines
    assert problem.message == "planen 'test': mål för okänd indikator 'fast_lakarkontak'"


def test_matavla_check_validates_the_plans_too(tmp_path: Path) -> None:
    plan = GOOD_PLAN.replace("indicators: [fast_lakarkontakt]", "indicators: [fast_lakarkontak]")
    path = folder(tmp_path, {"test.yaml": plan})
    result = CliRunner().invoke(main, ["check", "--catalog", str(path)])
    assert result.exit_code == 1
    assert (
        "plans/test.yaml:7: planen 'test', nod 'kontinuitet': okänd indikator 'fast_lakarkontak'"
        in result.output
    )
    assert "1 fel i plans/test.yaml." in result.output
    path = folder(tmp_path, {"test.yaml": GOOD_PLAN})
    result = CliRunner().invoke(main, ["check", "--catalog", str(path)])
    assert result.exit_code == 0, result.output
    assert "plans/test.yaml: planen 'test' för län 05, 3 områden, 2 indikatorer." in result.output


# --- the old format -------------------------------------------------------------------------------

OLD = """\
version: 1
plan_areas:
  - {id: kontinuitet, title: Ökad kontinuitet}
  - {id: digitalt, title: Digitalt}
indicators:
""" + "".join(
    line + "\n"
    for line in CATALOGUE.splitlines()[2:]
    for line in ([line, "    plan_areas: [kontinuitet]"] if "title: Fast" in line else [line])
)


def test_an_old_catalogue_without_plan_files_still_loads_as_one_flat_plan(tmp_path: Path) -> None:
    text = OLD.replace(
        "    title: Digitala kontakter\n", "    title: Digitala kontakter\n    plan_areas: [digitalt]\n"
    )
    path = tmp_path / "indicators.yaml"
    path.write_text(text, encoding="utf-8")
    result = load_catalogue(path, strict=True)
    assert result.problems == []  # the old format is still valid on its own
    plan = result.catalogue.plan_for("05")
    assert plan is not None and plan.fallback and plan.name == "Katalogens planområden"
    assert [(n.id, n.indicators) for n in plan.nodes] == [
        ("kontinuitet", ("fast_lakarkontakt",)),
        ("digitalt", ("digitala",)),
    ]


def test_old_plan_areas_beside_plan_files_map_and_warn(tmp_path: Path) -> None:
    """An indicator's old plan_areas naming a plan's node is mapped there, with a warning to move it."""
    plan = GOOD_PLAN.replace("    indicators: [fast_lakarkontakt]\n", "")
    result = load_catalogue(folder(tmp_path, {"test.yaml": plan}, OLD.replace("digitalt, title", "x, title")))
    plan_05 = result.catalogue.plan_for("05")
    assert plan_05 is not None and plan_05.node("kontinuitet").indicators == ("fast_lakarkontakt",)  # type: ignore[union-attr]
    messages = [(p.level, p.line, p.message) for p in result.problems]
    assert messages == [
        (
            "warning",
            2,
            "plan_areas: är ersatt av planfilerna i plans/ och används bara för län utan egen plan",
        ),
        (
            "warning",
            8,
            "indikator 'fast_lakarkontakt': plan_areas är föråldrat; "
            "'kontinuitet' är en nod i plans/test.yaml",
        ),
    ]


# --- the board follows the län's plan --------------------------------------------------------------

INSERT = (
    "INSERT INTO results (indicator, area_code, area_level, period, period_type, period_start, breakdown, "
    "sex, age_band, numerator, denominator, value, ci_low, ci_high, suppressed, suppression) VALUES "
    "(?, ?, ?, ?, 'year', ?, 'total', NULL, NULL, ?, ?, ?, ?, ?, ?, ?)"
)

# (indicator, area, level, period, numerator, denominator, value, ci_low, ci_high, suppressed)
RESULTS = [
    # fast_lakarkontakt (share, higher is better, the catalogue's target 60 %):
    # län 40 % → 45 % of 10 000; the change +5 p.e. has SE √(0,40·0,60/10⁴ + 0,45·0,55/10⁴) = 0,70 p.e.,
    # so its 95 % interval ≈ 5 ± 1,4 = [3,6; 6,4] p.e. excludes 0: a certain improvement.
    # 45 % < 60 %: the target is not met.
    ("fast_lakarkontakt", "05", "lan", "2023", 4000, 10000, 40.0, 39.0, 41.0, False),
    ("fast_lakarkontakt", "05", "lan", "2024", 4500, 10000, 45.0, 44.0, 46.0, False),
    ("fast_lakarkontakt", "0580", "kommun", "2024", 2750, 5000, 55.0, 53.0, 57.0, False),  # 53 > 45: better
    ("fast_lakarkontakt", "0581", "kommun", "2024", 1750, 5000, 35.0, 33.6, 36.4, False),  # 36,4 < 45: worse
    ("fast_lakarkontakt", "0512", "kommun", "2024", None, None, None, None, None, True),  # Ydre: too few
    # akutbesok_75 (per 1 000, lower is better, no target of its own; the test plan sets 300, an example):
    # län 3 000 → 2 500 visits per 10 000: 300 → 250 per 1 000. Rate ratio 2 500/3 000 = 0,833, log SE
    # √(1/2 500 + 1/3 000) = 0,027, interval exp(−0,182 ± 0,053) = [0,79; 0,88] excludes 1: a certain
    # fall, and lower is better – a certain improvement. 250 ≤ 300: the plan's target is met.
    ("akutbesok_75", "05", "lan", "2023", 3000, 10000, 300.0, 289.4, 311.0, False),
    ("akutbesok_75", "05", "lan", "2024", 2500, 10000, 250.0, 240.3, 260.0, False),
    ("akutbesok_75", "0580", "kommun", "2024", 1000, 5000, 200.0, 187.9, 212.7, False),  # 212,7 < 250: better
    ("akutbesok_75", "0581", "kommun", "2024", 1600, 5000, 320.0, 304.6, 336.0, False),  # 304,6 > 250: worse
    # sip_delaktighet (share, higher is better, target 70 %): län 80 of 100 both years – no change
    # (the difference 0 is inside any interval); 80 % ≥ 70 %: met.
    ("sip_delaktighet", "05", "lan", "2023", 80, 100, 80.0, 71.1, 86.7, False),
    ("sip_delaktighet", "05", "lan", "2024", 80, 100, 80.0, 71.1, 86.7, False),
    ("sip_delaktighet", "0580", "kommun", "2024", 40, 50, 80.0, 66.9, 88.8, False),  # holds 80: similar
    ("sip_delaktighet", "0581", "kommun", "2024", 30, 50, 60.0, 46.2, 72.4, False),  # 72,4 < 80: worse
]

THIRD_PLAN = """\
# A plan added in YAML alone, for Stockholms län ("01") – and a test plan for Östergötland.
id: provplan
name: Provplanen för hela länet
lan: ["{lan}"]
document: Provdokumentet
targets:
  akutbesok_75: {{value: 300, example: true}}
nodes:
  - id: omrade_a
    title: Område A med två indikatorer
    description: Planens egna ord om område A.
    indicators: [fast_lakarkontakt, akutbesok_75]
  - id: omrade_b
    title: Område B som grupp
    children:
      - id: del_b1
        title: Del B1
        indicators: [sip_delaktighet]
      - id: del_b2
        title: Del B2 utan indikatorer
  - id: omrade_c
    title: Område C utan indikatorer
"""


def build_results(path: Path, rows: list[tuple[Any, ...]]) -> Path:
    con = connect(path)
    for indicator, area, level, period, num, den, value, low, high, suppressed in rows:
        con.execute(
            INSERT,
            [
                indicator,
                area,
                level,
                period,
                f"{period}-01-01",
                num,
                den,
                value,
                low,
                high,
                suppressed,
                "primary" if suppressed else None,
            ],
        )
    set_meta(con, "computed_at", "2025-01-15 09:30:00")
    con.close()
    return path


def texts(component: Any) -> list[str]:
    """Every text in a Dash component tree, in order."""
    if component is None:
        return []
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [t for child in component for t in texts(child)]
    markup = raw_markup(component)  # the board table is one string of markup
    if markup is not None:
        return markup_texts(markup)
    return texts(getattr(component, "children", None))


def with_plan(tmp_path: Path, lan: str, *, others: bool = True) -> Path:
    """A copy of the bundled catalogue (and its plans, unless the plan replaces one) plus the test plan."""
    catalogue = tmp_path / "indicators.yaml"
    shutil.copy(ROOT / "indicators.yaml", catalogue)
    (tmp_path / "plans").mkdir()
    for name in ("ostergotland.yaml", "jamtland-harjedalen.yaml"):
        if others and not (lan == "05" and name == "ostergotland.yaml"):
            shutil.copy(ROOT / "plans" / name, tmp_path / "plans" / name)
    (tmp_path / "plans" / "provplan.yaml").write_text(THIRD_PLAN.format(lan=lan), encoding="utf-8")
    return catalogue


def test_planen_counts_per_heading_worked_out_by_hand(tmp_path: Path) -> None:
    from metrics.dashboard.logic.board import board_rows
    from metrics.dashboard.logic.plan import plan_of, plan_status
    from metrics.dashboard.source.data import read_snapshot

    catalogue_path = with_plan(tmp_path, "05")
    db = build_results(tmp_path / "results.duckdb", RESULTS)
    cat = load_catalogue(catalogue_path, strict=True).catalogue
    snap = read_snapshot(db)
    plan = plan_of(cat, "05")
    assert plan.id == "provplan"
    status = {s.node.id: s for s in plan_status(plan, board_rows(snap, cat, "05", "2024"), cat)}
    assert list(status) == ["omrade_a", "omrade_b", "del_b1", "del_b2", "omrade_c"]

    a = status["omrade_a"]
    assert [i.id for i in a.indicators] == ["fast_lakarkontakt", "akutbesok_75"]
    assert (a.targets.count, a.targets.of) == (1, 2)  # akutbesök 250 ≤ 300 met; fast 45 < 60 not
    assert (a.improving.count, a.improving.of) == (2, 2)  # both certain improvements
    assert (a.worsening.count, a.worsening.of) == (0, 2)
    # Norrköping (0581) is worse on both, Linköping (0580) better on both; Ydre is suppressed
    assert [(k.name, k.count, k.of) for k in a.worse] == [("Norrköping", 2, 2)]
    assert [(k.name, k.count, k.of) for k in a.better] == [("Linköping", 2, 2)]

    for group in (status["omrade_b"], status["del_b1"]):  # the group counts its sub-heading's indicator
        assert [i.id for i in group.indicators] == ["sip_delaktighet"]
        assert (group.targets.count, group.targets.of) == (1, 1)  # 80 ≥ 70
        assert (group.improving.count, group.improving.of) == (0, 1)  # tested, no certain change
        assert (group.worsening.count, group.worsening.of) == (0, 1)
        assert [(k.name, k.count, k.of) for k in group.worse] == [("Norrköping", 1, 1)]
        assert group.better == ()  # Linköping's 80 % is similar to the län's

    assert not status["del_b2"].followed and not status["omrade_c"].followed
    assert status["omrade_b"].followed


def test_the_plan_page_shows_the_counts_the_gaps_and_links_to_the_indicators(tmp_path: Path) -> None:
    from metrics.dashboard.server import create_app

    catalogue_path = with_plan(tmp_path, "05")
    db = build_results(tmp_path / "results.duckdb", RESULTS)
    app = create_app(db_path=db, catalog_path=catalogue_path)
    from metrics.dashboard.pages import planen  # pages register after the app exists

    client = app.server.test_client()
    assert client.get("/planen?lan=05").status_code == 200  # the app serves the page itself
    with app.server.test_request_context("/"):
        content = planen.render("05", "2024")
        words = texts(content)
        assert "Provplanen för hela länet" in words and "Provdokumentet" in words
        assert "Område A med två indikatorer" in words and "Planens egna ord om område A." in words
        assert words.count("Följs ännu inte upp") == 2  # Del B2 and Område C
        # Område A: 2 indicators, 1 of 2 meet the target, 2 of 2 certain improvements, 0 of 2 worse
        area_a = texts(_section(content, "plan-omrade_a"))
        assert area_a[area_a.index("Indikatorer") + 1] == "2"
        assert area_a[area_a.index("Når målet") + 1] == "1 av 2"
        assert area_a[area_a.index("Säker förbättring") + 1] == "2 av 2"
        assert area_a[area_a.index("Säker försämring") + 1] == "0 av 2"
        assert "Norrköping" in area_a and " (2 av 2)" in area_a
        links = _links(_section(content, "plan-omrade_a"))
        assert "/indikator/fast_lakarkontakt?lan=05&period=2024" in links
        assert "/indikator/akutbesok_75?lan=05&period=2024" in links
        assert "/kommun/0581?lan=05&period=2024" in links
        frame = planen.plan_frame(planen.catalogue(), "05", "2024")
        assert frame["Områdes-id"].tolist() == ["omrade_a", "omrade_b", "del_b1", "del_b2", "omrade_c"]
        assert frame["Följs upp"].tolist() == ["ja", "ja", "ja", "följs ännu inte upp", "följs ännu inte upp"]


def _section(component: Any, section_id: str) -> Any:
    if getattr(component, "id", None) == section_id:
        return component
    children = component if isinstance(component, (list, tuple)) else getattr(component, "children", None)
    if isinstance(children, (list, tuple)):
        for child in children:
            found = _section(child, section_id)
            if found is not None:
                return found
    elif children is not None and not isinstance(children, str):
        return _section(children, section_id)
    return None


def _links(component: Any) -> list[str]:
    found = []
    href = getattr(component, "href", None)
    if href:
        found.append(href)
    children = component if isinstance(component, (list, tuple)) else getattr(component, "children", None)
    if isinstance(children, (list, tuple)):
        for child in children:
            found += _links(child)
    elif children is not None and not isinstance(children, str):
        found += _links(children)
    return found


def test_a_third_plan_added_in_yaml_alone_appears_on_the_board(tmp_path: Path) -> None:
    from metrics.dashboard.server import create_app

    rows = [
        (ind, "01" if a == "05" else {"0580": "0180", "0581": "0114"}.get(a, "0117"), *rest)
        for ind, a, *rest in RESULTS
    ]
    catalogue_path = with_plan(tmp_path, "01")
    db = build_results(tmp_path / "results.duckdb", rows)
    app = create_app(db_path=db, catalog_path=catalogue_path)
    from metrics.dashboard.pages import kommun, lansoversikt, planen

    with app.server.test_request_context("/"):
        board = texts(lansoversikt.render("01", "2024"))
        assert "Provplanen för hela länet" in board
        assert "Område A med två indikatorer" in board and "Del B1" in board
        assert " – följs ännu inte upp" in board
        assert "Ökad delaktighet" not in board and "God kvalitet" not in board  # no other plan's headings
        assert "Provplanen för hela länet" in texts(planen.render("01", "2024"))
        profile = texts(kommun.render("0180", "2024"))
        assert "Område A med två indikatorer" in profile and "Del B1" in profile


def test_each_lan_sees_only_its_own_plan(tmp_path: Path) -> None:
    from metrics.dashboard.logic.board import board
    from metrics.dashboard.server import create_app
    from metrics.dashboard.source.context import catalogue, current_snapshot, indicator_or_none

    jamtland = [
        (ind, "23" if a == "05" else {"0580": "2380", "0581": "2361"}.get(a, "2303"), *rest)
        for ind, a, *rest in RESULTS
    ]
    db = build_results(tmp_path / "results.duckdb", RESULTS + jamtland)
    app = create_app(db_path=db, catalog_path=ROOT / "indicators.yaml")
    from metrics.dashboard.pages import indikator, lansoversikt

    with app.server.test_request_context("/"):
        cat, snap = catalogue(), current_snapshot()
        ost_ids = [n.id for _, n in cat.plan_for("05").walk()]  # type: ignore[union-attr]
        jamt_ids = [n.id for _, n in cat.plan_for("23").walk()]  # type: ignore[union-attr]
        assert [s.area.id for s in board(snap, cat, "05", "2024")] == ost_ids
        assert [s.area.id for s in board(snap, cat, "23", "2024")] == jamt_ids
        ost = texts(lansoversikt.render("05", "2024"))
        jamt = texts(lansoversikt.render("23", "2024"))
        assert "Prioriterade områden" in ost and "Närvårdsplatser" in ost and "God kvalitet" in ost
        for heading in ("Ökad delaktighet", "Ökad tillgänglighet", "Hälsofrämjande och förebyggande fokus"):
            assert heading not in ost
            assert heading in jamt
        for heading in ("Prioriterade områden", "Närvårdsplatser", "God kvalitet", "God arbetsmiljö"):
            assert heading not in jamt
        # the indicator page names both plans and where the indicator sits in each
        page = texts(indikator.render(indicator_or_none("fast_lakarkontakt"), "05", "2024", []))  # type: ignore[arg-type]
        assert "Primärvården ska vara navet" in page and "Gemensam plan för primärvårdsnivå" in page
        assert (
            "Uppföljning – resultat som ska garanteras › En rörelse mot fokusflyttningarna › "
            "Fokus på person och relation" in page
        )
        assert "Ökad kontinuitet › Rutiner, arbetssätt och uppföljning av fasta kontakter" in page


def test_the_board_rereads_the_catalogue_when_a_plan_file_changes(tmp_path: Path) -> None:
    """The cache was keyed by indicators.yaml alone: an edited plan file stayed unseen until a restart."""
    import os

    from metrics.dashboard.source.context import catalogue_state

    path = folder(tmp_path, {"test.yaml": GOOD_PLAN})
    first = catalogue_state(path).catalogue.plan_for("05")
    assert first is not None and first.name == "Testplanen"
    plan_file = tmp_path / "plans" / "test.yaml"
    plan_file.write_text(GOOD_PLAN.replace("name: Testplanen", "name: Nya planen"), encoding="utf-8")
    stat = plan_file.stat()
    os.utime(plan_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a later edit
    second = catalogue_state(path).catalogue.plan_for("05")
    assert second is not None and second.name == "Nya planen"


def test_the_plan_schema_is_committed_and_the_bundled_plans_satisfy_it() -> None:
    """Regenerate with `matavla schema --plan > schema/plan.schema.json` after changing a plan key."""
    import json

    import jsonschema
    import yaml

    printed = CliRunner().invoke(main, ["schema", "--plan"]).output
    assert (ROOT / "schema" / "plan.schema.json").read_text(encoding="utf-8") == printed
    validator = jsonschema.Draft202012Validator(json.loads(printed))
    for name in ("ostergotland.yaml", "jamtland-harjedalen.yaml"):
        doc = yaml.safe_load((ROOT / "plans" / name).read_text(encoding="utf-8"))
        assert [e.message for e in validator.iter_errors(doc)] == [], name
    assert list(validator.iter_errors({"id": "x", "name": "X", "lan": "05", "nodes": [{"id": "a"}]}))


def test_a_plans_own_target_is_what_jamfor_and_the_board_show_for_its_lan(tmp_path: Path) -> None:
    from metrics.dashboard.server import create_app

    catalogue_path = with_plan(tmp_path, "05")
    db = build_results(tmp_path / "results.duckdb", RESULTS)
    app = create_app(db_path=db, catalog_path=catalogue_path)
    from metrics.dashboard.pages import jamfor, lansoversikt
    from metrics.dashboard.source.context import indicator_or_none

    with app.server.test_request_context("/"):
        akut = indicator_or_none("akutbesok_75")
        assert akut is not None and akut.target_spec is None  # the catalogue sets no target …
        words = texts(jamfor.render("05", akut, "2024", []))
        # the target card: the target in bold, its source beneath it
        assert "300\u00a0per 1 000 inv." in words and "Exempelmål (påhittat för demon)" in words
        board = texts(lansoversikt.render("05", "2024"))
        assert "Målet uppnått" in board and "Exempelmål" in board  # … the plan's 300 is met by 250


def test_an_old_plan_areas_id_that_is_no_heading_is_named_with_a_guess(tmp_path: Path) -> None:
    """An indicator written the old way beside plan files: its unknown heading is named, with a guess."""
    catalogue = CATALOGUE.replace(
        "    title: Fast läkarkontakt\n", "    title: Fast läkarkontakt\n    plan_areas: [kontinuitett]\n"
    )
    [problem] = errors(folder(tmp_path, {"test.yaml": GOOD_PLAN}, catalogue))
    assert (problem.file, problem.line) == ("indicators.yaml", 5)
    assert problem.message == "indikator 'fast_lakarkontakt': okänt planområde 'kontinuitett'"
    assert problem.hint == "menade du 'kontinuitet'?"


def test_a_catalogue_copied_away_from_its_plans_still_accepts_old_plan_areas(tmp_path: Path) -> None:
    """A copy of indicators.yaml alone (no plans/, no plan_areas list), an indicator written the old way."""
    path = tmp_path / "indicators.yaml"
    path.write_text(
        CATALOGUE.replace(
            "    title: Fast läkarkontakt\n", "    title: Fast läkarkontakt\n    plan_areas: [delaktighet]\n"
        ),
        encoding="utf-8",
    )
    result = load_catalogue(path, strict=True)
    assert result.problems == []
    plan = result.catalogue.plan_for("05")
    assert (
        plan is not None and plan.fallback and plan.nodes[0].indicators == ("fast_lakarkontakt", "digitala")
    )


def test_the_kommun_page_shows_every_heading_of_the_plan_as_the_board_does(tmp_path: Path) -> None:
    """Review: the kommun page hid every heading whose indicators sat under an earlier heading (all of
    Östergötland's "Prioriterade områden") and every heading without indicators (no "följs ännu inte
    upp"). Like Länsöversikt, it shows each heading in the plan's order with the indicators mapped to
    it, an indicator under two headings under both, and the gaps as gaps."""
    from metrics.dashboard.server import create_app

    db = build_results(tmp_path / "results.duckdb", RESULTS)
    app = create_app(db_path=db, catalog_path=ROOT / "indicators.yaml")
    from metrics.dashboard.pages import kommun

    with app.server.test_request_context("/"):
        profile = texts(kommun.render("0580", "2024"))
    # plans/ostergotland.yaml: the four prioritised areas, each mapping indicators that the
    # follow-up areas above them already map (akutbesok_75 is under resursanvandning and akuta_floden)
    for heading in (
        "Prioriterade områden",
        "Förhållningssätt Nära vård – personcentrering",
        "Omställning akuta flöden",
        "Närvårdsplatser",
        "Gemensamma team kring patienter med komplexa behov",
    ):
        assert heading in profile, heading
    akut = profile.index("Omställning akuta flöden")
    after = profile[akut : profile.index("Närvårdsplatser")]
    assert "Akutbesök, 75 år och äldre" in after
    # one row per indicator in the summary: Linköping is better on fast läkarkontakt and akutbesök (2),
    # even though akutbesök now shows under two headings
    summary = next(t for t in profile if t.startswith("Linköping ligger"))
    assert "bättre än länet på 2 indikatorer" in summary, summary


def test_the_kommun_page_says_a_heading_without_indicators_is_not_followed_up(tmp_path: Path) -> None:
    from metrics.dashboard.server import create_app

    rows = [
        (ind, "01" if a == "05" else {"0580": "0180", "0581": "0114"}.get(a, "0117"), *rest)
        for ind, a, *rest in RESULTS
    ]
    catalogue_path = with_plan(tmp_path, "01")
    db = build_results(tmp_path / "results.duckdb", rows)
    app = create_app(db_path=db, catalog_path=catalogue_path)
    from metrics.dashboard.pages import kommun

    with app.server.test_request_context("/"):
        profile = texts(kommun.render("0180", "2024"))
    # THIRD_PLAN: Del B2 and Område C map no indicator
    assert "Del B2 utan indikatorer" in profile and "Område C utan indikatorer" in profile
    assert profile.count(" – följs ännu inte upp") == 2


def test_an_indicator_under_two_sub_headings_counts_once_in_their_parent(tmp_path: Path) -> None:
    """Review: nothing failed when a parent heading counted an indicator of two sub-headings twice."""
    from metrics.dashboard.logic.board import board_rows
    from metrics.dashboard.logic.plan import plan_of, plan_status
    from metrics.dashboard.source.data import read_snapshot

    plan = """\
    id: dubbel
    name: Dubbelplanen
    lan: ["05"]
    nodes:
      - id: grupp
        title: Grupp
        children:
          - {id: del_1, title: Del 1, indicators: [fast_lakarkontakt, sip_delaktighet]}
          - {id: del_2, title: Del 2, indicators: [fast_lakarkontakt]}
    """
    catalogue_path = tmp_path / "indicators.yaml"
    shutil.copy(ROOT / "indicators.yaml", catalogue_path)
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "dubbel.yaml").write_text(textwrap.dedent(plan), encoding="utf-8")
    cat = load_catalogue(catalogue_path).catalogue
    snap = read_snapshot(build_results(tmp_path / "results.duckdb", RESULTS))
    status = {s.node.id: s for s in plan_status(plan_of(cat, "05"), board_rows(snap, cat, "05", "2024"), cat)}
    group = status["grupp"]
    # two indicators, not three: fast_lakarkontakt (45 % < 60 %: not met; a certain improvement) and
    # sip_delaktighet (80 % ≥ 70 %: met; no certain change)
    assert [i.id for i in group.indicators] == ["fast_lakarkontakt", "sip_delaktighet"]
    assert (group.targets.count, group.targets.of) == (1, 2)
    assert (group.improving.count, group.improving.of) == (1, 2)
    # Norrköping is worse on both (36,4 < 45 and 72,4 < 80), compared on 2 – not 3
    assert [(k.name, k.count, k.of) for k in group.worse] == [("Norrköping", 2, 2)]


def test_a_plan_nested_too_deep_is_an_error_at_its_line_not_a_crash(tmp_path: Path) -> None:
    """Review: a plan 100 headings deep (or any YAML nested a few hundred levels) crashed loading
    with Python's RecursionError instead of naming the file and line."""
    lines = ["id: djup", "name: Djupa planen", 'lan: ["05"]', "nodes:"]
    for level in range(100):  # each heading is two YAML levels: the list and the mapping
        pad = "    " * level
        lines += [f"{pad}  - id: niva_{level}", f"{pad}    title: Nivå {level}", f"{pad}    children:"]
    lines.append("    " * 100 + "  - {id: lov, title: Löv, indicators: [fast_lakarkontakt]}")
    path = folder(tmp_path, {"djup.yaml": "\n".join(lines) + "\n"})
    found = [p for p in errors(path) if p.file == "plans/djup.yaml"]
    assert found, "the too deep plan is not named"
    problem = found[0]
    assert "nivåer" in problem.message and problem.line is not None and problem.line > 4
    assert problem.hint and "färre nivåer" in problem.hint


def test_yaml_nested_hundreds_of_levels_is_refused_with_its_line(tmp_path: Path) -> None:
    from metrics.catalogue.yaml_loader import MAX_DEPTH, load_yaml

    path = tmp_path / "djup.yaml"
    path.write_text("a: " + "[" * 1000 + "]" * 1000 + "\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as exc:
        load_yaml(path)
    (problem,) = exc.value.problems
    assert f"mer än {MAX_DEPTH} nivåer" in problem.message and problem.line == 1
    ok = tmp_path / "ok.yaml"
    ok.write_text("a: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2) + "\n", encoding="utf-8")
    assert load_yaml(ok) is not None  # just under the limit loads


def test_a_lan_without_a_plan_file_sees_every_indicator_under_alla_indikatorer(tmp_path: Path) -> None:
    """Review: a län without a plan file saw only the indicators no plan maps, under the heading
    "Alla indikatorer" – with one plan mapping fast_lakarkontakt, Jämtland's board had only digitala."""
    plan = GOOD_PLAN.replace("        indicators: [digitala]\n", "")  # the plan for 05 maps one of two
    cat = load_catalogue(folder(tmp_path, {"test.yaml": plan})).catalogue
    fallback = cat.plan_for("23")
    assert fallback is not None and fallback.fallback
    assert [n.title for _, n in fallback.walk()] == ["Alla indikatorer"]
    assert fallback.indicator_ids == ("fast_lakarkontakt", "digitala")


def test_lansoversikts_change_cards_say_dash_when_there_is_no_earlier_year(tmp_path: Path) -> None:
    # Two years (RESULTS): fast_lakarkontakt and akutbesok_75 improve for certain, sip_delaktighet
    # holds – 2 of 3 tested, 0 of 3 worse. One year only: nothing could be tested, and the cards
    # read "0 av 0 … sedan 2023", as if a change had been tested and none found (seen on the
    # national demo, 2024 only); now "–", as on Planen.
    from metrics.dashboard.server import create_app

    def cards(rows: list[tuple[Any, ...]], name: str) -> tuple[str, str]:
        folder = tmp_path / name
        folder.mkdir()
        app = create_app(
            db_path=build_results(folder / "results.duckdb", rows), catalog_path=with_plan(folder, "05")
        )
        from metrics.dashboard.pages import lansoversikt

        with app.server.test_request_context("/"):
            board = texts(lansoversikt.render("05", "2024"))
        return board[board.index("Säker förbättring") + 1], board[board.index("Säker försämring") + 1]

    assert cards(RESULTS, "two") == ("2 av 3", "0 av 3")
    assert cards([r for r in RESULTS if r[3] == "2024"], "one") == ("–", "–")
