"""What each catalogue key holds: its JSON Schema type and a Swedish description.

The loader's key tables (`INDICATOR_KEYS`, `MEASURE_KEYS`, `SETTINGS_KEYS` …) say
which keys exist; this table says what they hold. `metrics.catalogue.json_schema`
walks the key tables and looks each key up here, so a key added to a table is in
the schema at once (as "any value" until it is described here), and
tests/test_schema.py fails until it is. Descriptions are Swedish: the editor
shows them to the analyst while typing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, get_args

from metrics.catalogue.comparisons import COMPARISON_METHODS
from metrics.catalogue.extract_declarations import COLUMN_TYPES, DELIVERED_BY
from metrics.catalogue.kolada_reference import GROUP_PATTERN, KOLADA_GENDERS, KPI_PATTERN
from metrics.catalogue.model import (
    BREAKDOWNS,
    NO_ROWS,
    PER_PERSON_MEASURES,
    PERIOD_TYPES,
    Direction,
    IntervalKind,
)
from metrics.catalogue.settings import ID_PATTERN, STANDARD_POPULATION_NAMES
from metrics.extracts.schema import EXTRACTS

Json = dict[str, Any]


@dataclass(frozen=True)
class Key:
    description: str
    schema: Json = field(default_factory=dict)
    required: bool = False


TEXT: Json = {"type": "string"}
SQL: Json = {"type": "string", "minLength": 1}
IDENT: Json = {"type": "string", "pattern": ID_PATTERN.pattern}
# The built-in extracts are offered while typing; any other name is allowed, since an extract can
# be declared in the catalogue itself and the loader (not the schema) knows which ones are.
KOLADA_KPI: Json = {"type": "string", "pattern": KPI_PATTERN.pattern}
SOURCE: Json = {"anyOf": [{"enum": list(EXTRACTS)}, {"type": "string", "pattern": ID_PATTERN.pattern}]}


def one_or_many(item: Json) -> Json:
    """A value or a list of values (the loader accepts `plan_areas: kontinuitet` too)."""
    return {"anyOf": [item, {"type": "array", "items": item, "minItems": 1}]}


# Objects are referenced by name ("#/$defs/<name>"); each is built from a loader key table.
def ref(name: str) -> Json:
    return {"$ref": f"#/$defs/{name}"}


SECTIONS: dict[str, dict[str, Key]] = {
    "catalogue": {
        "version": Key("Formatets version: 1.", {"const": 1}),
        "settings": Key("Inställningar för hela katalogen.", ref("settings")),
        "plan_areas": Key(
            "Föråldrat: planerna står i plans/*.yaml (docs/plans.md). Används för län utan egen planfil.",
            {"type": "array", "items": ref("plan_area"), "minItems": 1},
        ),
        "area_levels": Key(
            "Egna grupper av kommuner (t.ex. närsjukvårdsområden), beräknas som län.",
            {"type": "array", "items": ref("area_level")},
        ),
        "extracts": Key(
            "Egna utdrag (t.ex. kommunens vaccinationsfil), importeras och kontrolleras som de inbyggda.",
            {"type": "array", "items": ref("extract")},
        ),
        "indicators": Key(
            "Indikatorerna.", {"type": "array", "items": ref("indicator"), "minItems": 1}, required=True
        ),
    },
    "settings": {
        "comparison": Key(
            "Hur kommuner jämförs med länet: en metod eller {method, level, winsorise}.",
            {"anyOf": [{"enum": list(COMPARISON_METHODS)}, ref("comparison")]},
        ),
        "standard_population": Key(
            "Standardbefolkning för åldersstandardisering: esp2013 (standard), none, eller {lan, year}.",
            {"anyOf": [{"enum": list(STANDARD_POPULATION_NAMES)}, ref("standard_population")]},
        ),
        "suppression": Key("Gränser för att dölja små tal i alla indikatorer.", ref("suppression")),
        "publication": Key(
            "Vilka celler som publiceras alls: månader och indelningar per kommun (docs/disclosure.md).",
            ref("publication"),
        ),
        "age_bands": Key(
            "Åldersbandens nedre gränser i stigande ordning, t.ex. [0, 20, 65, 75, 85].",
            {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 120}, "minItems": 1},
        ),
        "code_lists": Key(
            "Namngivna listor med diagnoskoder (ICD-10), t.ex. undvikbar_slutenvard: [I10, J44].",
            {
                "type": "object",
                "additionalProperties": {"type": "array", "items": TEXT, "minItems": 1},
            },
        ),
    },
    "comparison": {
        "method": Key(
            "ci95, ci998, multiplicative eller additive (justerat för överspridning; standard).",
            {"enum": list(COMPARISON_METHODS)},
        ),
        "level": Key("Gränsernas nivå i procent: 95 eller 99.8.", {"enum": [95, 99.8]}),
        "winsorise": Key(
            "Andel z-värden (procent, 0–49) som dras in i varje ände innan spridningen skattas.",
            {"type": "number", "minimum": 0, "exclusiveMaximum": 50},
        ),
    },
    "standard_population": {
        "lan": Key(
            'Länet vars invånare är standardbefolkning, t.ex. "05".', {"type": "string"}, required=True
        ),
        "year": Key("Året för länets befolkning, t.ex. 2023.", {"type": "integer"}, required=True),
    },
    "target": {
        "value": Key("Målvärdet i indikatorns enhet.", {"type": "number"}),
        "range": Key(
            "Ett intervall [låg, hög] som värdet ska ligga inom.",
            {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        ),
        "change": Key("Förändring i procent från året i from, t.ex. 20 eller -10.", {"type": "number"}),
        "from": Key("Basåret för change.", {"type": "integer"}),
        "quartile": Key(
            "Bland länets bästa kvartil (1) eller halva (2).", {"type": "integer", "minimum": 1, "maximum": 3}
        ),
        "area": Key('Minst lika bra som detta område (län eller områdesgrupp), t.ex. "05".', TEXT),
        "year": Key("Året målet gäller.", {"type": "integer"}),
        "source": Key(
            'Var målet kommer ifrån, t.ex. "Vårdanalys: minst 55 % med fast läkarkontakt". Visas vid målet.',
            {"type": "string", "minLength": 1},
        ),
        "example": Key(
            'true: ett påhittat exempelmål (t.ex. i demodata); tavlan visar "Exempelmål".',
            {"type": "boolean"},
        ),
    },
    "test": {
        "name": Key("Testets namn: vad det visar.", TEXT, required=True),
        "kommun": Key('Kommunen raderna och förväntningarna gäller om inget annat sägs, t.ex. "0580".', TEXT),
        "period": Key(
            "Perioden förväntningarna gäller: 2024, 2024-Q1 eller 2024-01.", {"type": ["string", "integer"]}
        ),
        "suppression": Key(
            "on: indikatorns sekretessregler gäller (standard: off).", {"enum": ["on", "off", True, False]}
        ),
        "rows": Key(
            "Indata per utdrag: utdragets namn → lista med rader (bara kolumnerna som spelar roll).",
            {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "object"}}},
            required=True,
        ),
        "expect": Key(
            "Förväntade celler: en mappning eller en lista.",
            one_or_many(ref("expect")),
            required=True,
        ),
    },
    "expect": {
        "kommun": Key('Kommunens kod, t.ex. "0580".', TEXT),
        "lan": Key('Länets kod, t.ex. "05".', TEXT),
        "area": Key("En områdesgrupps id.", TEXT),
        "period": Key("Perioden: 2024, 2024-Q1 eller 2024-01.", {"type": ["string", "integer"]}),
        "sex": Key("K eller M för en cell per kön.", {"enum": ["K", "M"]}),
        "age_band": Key("Åldersbandet, t.ex. 65-79.", TEXT),
        "numerator": Key("Förväntad täljare.", {"type": ["number", "null"]}),
        "denominator": Key("Förväntad nämnare.", {"type": ["number", "null"]}),
        "value": Key("Förväntat värde (null: inget värde).", {"type": ["number", "null"]}),
        "missing": Key("true: kommunen saknas (ingen leverans täcker den).", {"type": "boolean"}),
        "suppressed": Key("true: cellen döljs.", {"type": "boolean"}),
        "exists": Key("false: cellen ska inte finnas.", {"type": "boolean"}),
    },
    "suppression": {
        "min_denominator": Key(
            "Dölj cellen när nämnaren är mindre än detta.", {"type": "number", "minimum": 0}
        ),
        "min_count": Key(
            "Dölj cellen när täljaren är ett antal från min_count till max_count.",
            {"type": "number", "minimum": 0},
        ),
        "max_count": Key("Se min_count.", {"type": "number", "minimum": 0}),
    },
    "publication": {
        "kommun_month_breakdowns": Key(
            "true: månader per kön och åldersband även per kommun; false (standard): bara län och områden.",
            {"type": "boolean"},
        ),
        "kommun_months_min_population": Key(
            "Kommuner med färre invånare får kvartal i stället för månader "
            "(standard 20000; 0: alla får månader).",
            {"type": "integer", "minimum": 0},
        ),
        "kommun_quarter_breakdowns_min_population": Key(
            "Kommuner med färre invånare får inga kvartal per kön och åldersband "
            "(standard 10000; 0: alla får dem).",
            {"type": "integer", "minimum": 0},
        ),
        "audit_seconds": Key(
            "LP-granskningens arbetsbudget per indikator och län i compute, i nominella sekunder: "
            "räknas om till simplexiterationer med ett fast tal per sekund, aldrig mot klockan, så att "
            "samma data alltid ger samma resultat (standard 120).",
            {"type": "number", "exclusiveMinimum": 0},
        ),
        "audit_iterations": Key(
            "Samma budget i simplexiterationer (HiGHS); anges den gäller den före audit_seconds.",
            {"type": "integer", "minimum": 0},
        ),
        "last_rung_audit_iterations": Key(
            "Publiceringstrappans sista steg (bara år per kommun) får en egen budget i simplexiterationer "
            "(standard: samma som ovan).",
            {"type": "integer", "minimum": 0},
        ),
    },
    "plan": {
        "id": Key("Planens id: små bokstäver, siffror och _, t.ex. ostergotland.", IDENT, required=True),
        "name": Key(
            "Planens namn med dess egna ord, t.ex. Primärvården ska vara navet.", TEXT, required=True
        ),
        "lan": Key(
            'Länet (eller länen) planen gäller, koden inom citattecken: "05" eller ["05"].',
            one_or_many({"type": "string", "pattern": "^[0-9]{2}$"}),
            required=True,
        ),
        "document": Key("Källdokumentet: planens titel, vem som beslutat den och när.", TEXT),
        "description": Key("En mening om planen.", TEXT),
        "targets": Key(
            "Planens egna mål per indikator (id → mål som under target:), gäller i planens län.",
            {"type": "object", "additionalProperties": {"anyOf": [{"type": "number"}, ref("target")]}},
        ),
        "nodes": Key(
            "Planens rubriker i planens ordning; varje nod kan ha children.",
            {"type": "array", "items": ref("plan_node"), "minItems": 1},
            required=True,
        ),
    },
    "plan_node": {
        "id": Key("Nodens id, unikt i planen: små bokstäver, siffror och _.", IDENT, required=True),
        "title": Key("Rubriken med planens egna ord.", TEXT, required=True),
        "description": Key("Kort beskrivning med planens ord (citat eller sammanfattning).", TEXT),
        "indicators": Key(
            "Indikatorerna (id i katalogen) som följer upp just denna rubrik.",
            {"type": "array", "items": IDENT},
        ),
        "children": Key(
            "Underrubriker (samma form, valfritt djup).", {"type": "array", "items": ref("plan_node")}
        ),
    },
    "plan_area": {
        "id": Key("Områdets id: små bokstäver, siffror och _.", TEXT, required=True),
        "title": Key("Områdets rubrik på tavlan (planens egna ord).", TEXT, required=True),
        "description": Key("En mening om området.", TEXT),
    },
    "area_level": {
        "level": Key("Nivåns id, t.ex. narsjukvardsomrade (inte kommun eller lan).", IDENT, required=True),
        "title": Key("Nivåns namn på tavlan.", TEXT),
        "groups": Key("Nivåns områden.", {"type": "array", "items": ref("area_group")}),
    },
    "area_group": {
        "id": Key("Områdets id, t.ex. nso_vast.", TEXT, required=True),
        "name": Key("Områdets namn på tavlan.", TEXT, required=True),
        "kommuner": Key(
            'Kommunkoderna, fyra siffror inom citattecken: ["0580", "0513"].',
            {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{4}$"}, "minItems": 1},
            required=True,
        ),
    },
    "indicator": {
        "id": Key(
            "Indikatorns id: små bokstäver, siffror och _. Byt aldrig id på en publicerad indikator.",
            IDENT,
            required=True,
        ),
        "title": Key("Rubrik på tavlan.", TEXT, required=True),
        "description": Key("Vad indikatorn mäter, i en eller två meningar.", TEXT, required=True),
        "plan_areas": Key(
            "Föråldrat: koppla indikatorn under indicators: hos en nod i plans/*.yaml (docs/plans.md).",
            one_or_many(TEXT),
        ),
        "source": Key("Utdraget indikatorn läser (docs/extracts.md); source eller sources krävs.", SOURCE),
        "sources": Key(
            "Utdragen, när indikatorn läser flera (det första är huvudkällan).",
            {"type": "array", "items": SOURCE, "minItems": 1},
        ),
        "date": Key("Kolumnen som placerar en rad i en period (standard: utdragets datumkolumn).", TEXT),
        "age": Key(
            "Åldersfilter för rader och befolkningsnämnare: {min: 75} och/eller {max: 64}.", ref("age")
        ),
        "where": Key("SQL-villkor för både täljare och nämnare, t.ex. provider <> 'private'.", SQL),
        "snapshot": Key(
            "last: bara raderna vid periodens sista datum räknas (listning).", {"enum": ["last"]}
        ),
        "no_rows": Key(
            "En täckt kommun och period utan rader i täljaren: zero (standard) = 0 händelser, "
            "missing = uppgift saknas (raderna är själva leveransen, t.ex. kostnader per område).",
            {"enum": list(NO_ROWS)},
        ),
        "needs_rows": Key(
            "Med no_rows: missing: kommunen och perioden räknas som levererade först när raderna har "
            "alla dessa värden i kolumnen, t.ex. {principal: [region, kommun]}; annars saknas de.",
            {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "additionalProperties": {
                    "type": "array",
                    "items": TEXT,
                    "minItems": 1,
                    "uniqueItems": True,
                },
            },
        ),
        "follow_up_days": Key(
            "Utfallet syns upp till så många dagar efter perioden (t.ex. 30 för återinskrivning).",
            {"type": "integer", "minimum": 0, "maximum": 3650},
        ),
        "numerator": Key(
            "Täljaren: rows, persons eller ett mått {count: …, where: …} / {sum: …}.", ref("measure")
        ),
        "denominator": Key(
            "Nämnaren: rows, persons, population eller ett mått {count: …} / {sum: …}.",
            {"anyOf": [{"const": "population"}, ref("measure")]},
        ),
        "measure": Key(
            "I stället för täljare och nämnare: ett medelvärde per person, t.ex. kontinuitetsindex.",
            ref("per_person"),
        ),
        "row_sql": Key(
            "En egen SELECT som ger en rad per räknad enhet: kommun, sex, age, date, numerator, denominator.",
            SQL,
        ),
        "multiplier": Key(
            "värde = täljare / nämnare × multiplier: 100 för %, 1000 för per 1 000.",
            {
                "type": "number",
                "exclusiveMinimum": 0,
            },
        ),
        "unit": Key("Enheten på tavlan, t.ex. % eller per 1 000 inv.", TEXT, required=True),
        "direction": Key(
            "higher = högre värde är bättre, lower = lägre är bättre, neutral = inget är bättre.",
            {"enum": list(get_args(Direction))},
            required=True,
        ),
        "target": Key(
            "Mål: ett värde i indikatorns enhet, eller {value|range|change+from|quartile|area, year}.",
            {"anyOf": [{"type": "number"}, ref("target")]},
        ),
        "comparison": Key(
            "Hur kommuner jämförs med länet: en metod eller {method, level, winsorise}.",
            {"anyOf": [{"enum": list(COMPARISON_METHODS)}, ref("comparison")]},
        ),
        "standard_population": Key(
            "Standardbefolkning för åldersstandardisering: esp2013 (standard), none, eller {lan, year}.",
            {"anyOf": [{"enum": list(STANDARD_POPULATION_NAMES)}, ref("standard_population")]},
        ),
        "tests": Key(
            "Små testfall bredvid definitionen (matavla test).", {"type": "array", "items": ref("test")}
        ),
        "periods": Key(
            "Periodtyper: year alltid, quarter och month där de är meningsfulla.",
            one_or_many({"enum": list(PERIOD_TYPES)}),
        ),
        "breakdowns": Key(
            "Nedbrytningar: sex (kön) och age_band (åldersband). [] för inga.",
            {"type": "array", "items": {"enum": list(BREAKDOWNS)}},
        ),
        "interval": Key(
            "Konfidensintervall: wilson (andel), poisson (per befolkning) eller none.",
            {"enum": list(get_args(IntervalKind))},
        ),
        "suppression": Key("Egna gränser för att dölja små tal i just denna indikator.", ref("suppression")),
        "age_bands": Key(
            "Egna åldersband (nedre gränser) för denna indikator.",
            {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 120}, "minItems": 1},
        ),
        "decimals": Key("Decimaler på tavlan (0–4).", {"type": "integer", "minimum": 0, "maximum": 4}),
        "definition_source": Key("Varifrån definitionen kommer (t.ex. en nationell indikator).", TEXT),
        "numerator_text": Key("Täljaren i ord, för indikatorsidan.", TEXT),
        "denominator_text": Key("Nämnaren i ord, för indikatorsidan.", TEXT),
        "kolada": Key(
            "Nyckeltalet i Kolada som är indikatorns nationella referens (samma mått och enhet): "
            "N00945 eller {kpi: N00945, gender: T, groups: [G36186]}. Hämtas med matavla kolada.",
            {"anyOf": [KOLADA_KPI, ref("kolada")]},
        ),
    },
    "kolada": {
        "kpi": Key(
            "Nyckeltalets id i Kolada: N eller U och fem siffror, t.ex. N00945.", KOLADA_KPI, required=True
        ),
        "gender": Key(
            "Värdet tavlan visar: T (totalt, standard), K (kvinnor) eller M (män).",
            {"enum": list(KOLADA_GENDERS)},
        ),
        "groups": Key(
            "Koladas kommungrupper (”liknande kommuner”) att visa som referens, t.ex. [G36186].",
            {"type": "array", "items": {"type": "string", "pattern": GROUP_PATTERN.pattern}},
        ),
    },
    "measure": {
        "count": Key("Räkna rows (rader) eller persons (unika personer).", {"enum": ["rows", "persons"]}),
        "sum": Key("Summera en kolumn eller ett SQL-uttryck, t.ex. absence_hours.", SQL),
        "where": Key("SQL-villkor för just detta mått, t.ex. mode = 'video'.", SQL),
        "codes": Key(
            "Rader vars kod finns i en kodlista: {column: main_diagnosis, list: NAMN}.", ref("codes")
        ),
        "latest": Key(
            "count: persons — räkna personer vars senaste rad i perioden uppfyller where.",
            {"type": "boolean"},
        ),
        "counts": Key("true när måttet är ett antal (då gäller regeln för små antal).", {"type": "boolean"}),
        "having": Key(
            "count: persons — ett villkor över personens alla rader i perioden, t.ex. "
            "count(DISTINCT profession) >= 3.",
            SQL,
        ),
    },
    "per_person": {
        "per_person": Key("Måttet per person.", {"enum": list(PER_PERSON_MEASURES)}, required=True),
        "by": Key("Kolumnen som identifierar vårdpersonalen, t.ex. staff_id.", TEXT, required=True),
        "where": Key("SQL-villkor för raderna som räknas.", SQL),
    },
    "extract": {
        "name": Key(
            "Utdragets namn: tabellen, och början på filernas namn (vaccinations_2024.csv).",
            IDENT,
            required=True,
        ),
        "title": Key("Utdragets rubrik på sidan Data.", TEXT),
        "description": Key("Vad utdraget innehåller.", TEXT),
        "person_level": Key(
            "true: en rad per person och händelse (kräver person_id, kommun, sex, age); false: aggregat.",
            {"type": "boolean"},
            required=True,
        ),
        "delivered_by": Key(
            "kommun: en fil täcker sina kommuner; region: hela länet.", {"enum": list(DELIVERED_BY)}
        ),
        "date": Key("Kolumnen som daterar en rad (date, month, timestamp eller ett årtal som int).", TEXT),
        "key": Key(
            "Kolumnerna som identifierar en rad; en senare fil ersätter rader med samma nyckel.",
            one_or_many(TEXT),
        ),
        "columns": Key(
            "Utdragets kolumner.", {"type": "array", "items": ref("column"), "minItems": 1}, required=True
        ),
    },
    "column": {
        "name": Key("Kolumnens namn i filen.", TEXT, required=True),
        "type": Key("Kolumnens typ.", {"enum": list(COLUMN_TYPES)}, required=True),
        "required": Key("false: kolumnen får vara tom eller saknas (standard: true).", {"type": "boolean"}),
        "values": Key(
            "type: enum — de tillåtna värdena, t.ex. [influensa, covid19].", {"type": "array", "items": TEXT}
        ),
        "min": Key("Minsta tillåtna värde för ett tal.", {"type": "number"}),
        "description": Key("Vad kolumnen innehåller.", TEXT),
    },
    "age": {
        "min": Key("Lägsta ålder (heltal 0–120).", {"type": "integer", "minimum": 0, "maximum": 120}),
        "max": Key("Högsta ålder (heltal 0–120).", {"type": "integer", "minimum": 0, "maximum": 120}),
    },
    "codes": {
        "column": Key("Kolumnen med koden, t.ex. main_diagnosis.", TEXT, required=True),
        "list": Key("Kodlistans namn under settings.code_lists.", TEXT, required=True),
    },
}

# Where each section stands in the file, for the field tables of docs/guide-analytiker.md.
SECTION_TITLES: dict[str, str] = {
    "catalogue": "Filens översta nivå",
    "settings": "`settings:`",
    "suppression": "`suppression:` (under `settings:` eller i en indikator)",
    "publication": "`publication:` (under `settings:`)",
    "plan": "En planfil, `plans/*.yaml` (docs/plans.md)",
    "plan_node": "En nod under `nodes:` eller `children:` i en planfil",
    "plan_area": "Ett planområde under `plan_areas:` (föråldrat)",
    "area_level": "En områdesnivå under `area_levels:`",
    "area_group": "Ett område under `groups:`",
    "indicator": "En indikator under `indicators:`",
    "measure": "Ett mått i `numerator:` eller `denominator:`",
    "per_person": "`measure:` (mått per person)",
    "age": "`age:`",
    "codes": "`codes:` (i ett mått)",
    "extract": "Ett eget utdrag under `extracts:`",
    "column": "En kolumn under `columns:` i ett eget utdrag",
    "comparison": "`comparison:` (under `settings:` eller i en indikator)",
    "standard_population": "`standard_population:` som mappning",
    "target": "`target:` som mappning",
    "kolada": "`kolada:` som mappning",
    "test": "Ett testfall under `tests:`",
    "expect": "En förväntad cell under `expect:`",
}

# What a section allows beyond its keys' own schemas.
WRAP: dict[str, Json] = {
    # A measure may also be one word; a wrapped object is referenced as "<name>_object".
    "measure": {"anyOf": [{"enum": ["rows", "persons"]}, ref("measure_object")]},
}
EXTRA: dict[str, Json] = {
    "indicator": {"anyOf": [{"required": ["source"]}, {"required": ["sources"]}]},
    # As the loader (comparisons.parse_target): exactly one kind, and `from` with `change` only.
    "target": {
        "oneOf": [{"required": [kind]} for kind in ("value", "range", "change", "quartile", "area")],
        "dependentRequired": {"change": ["from"], "from": ["change"]},
    },
}
