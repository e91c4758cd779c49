"""PyYAML's syntax errors in Swedish: what is wrong, on which line, and how to fix it.

PyYAML says `found character '\\t' that cannot start any token`; an analyst needs
"tabbtecken i indraget – byt tabbtecken mot mellanslag". Each known problem is
matched on PyYAML's (stable) English wording; anything else keeps PyYAML's text
behind a Swedish lead, so no error is ever lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

GENERAL_HINT = "kontrollera indrag och kolon; citera text som innehåller ': ' eller ' #'"


@dataclass(frozen=True)
class Translation:
    message: str
    hint: str
    line: int | None


# (pattern on PyYAML's problem, Swedish message, hint, use the context line rather than the problem's)
_KNOWN: tuple[tuple[re.Pattern[str], str, str, bool], ...] = (
    (
        re.compile(r"found character '\\t' that cannot start any token"),
        "tabbtecken i indraget",
        "byt tabbtecken mot mellanslag (YAML tillåter bara mellanslag i indrag, t.ex. två per nivå)",
        False,
    ),
    (
        re.compile(r"found character '(.)' that cannot start any token"),
        "tecknet '{0}' kan inte inleda ett värde",
        'sätt värdet inom citattecken, t.ex. "{0}…"',
        False,
    ),
    (
        re.compile(r"mapping values are not allowed here"),
        "ett kolon följt av mellanslag mitt i ett värde",
        "sätt värdet inom citattecken om det innehåller ': ', t.ex. title: \"Besök: andel\"; "
        "annars har raden för stort indrag",
        False,
    ),
    (
        re.compile(r"found unexpected end of stream"),
        "ett citattecken stängs aldrig",
        "avsluta värdet med samma citattecken som det börjar med (\" eller ')",
        True,
    ),
    (
        re.compile(r"could not find expected ':'"),
        "raden saknar kolon efter nyckeln",
        "skriv nyckel: värde, med mellanslag efter kolonet",
        True,
    ),
    (
        re.compile(r"expected ',' or '\]'"),
        "en lista inom [ ] är inte avslutad",
        "avsluta listan med ] och skilj värdena åt med komma, t.ex. periods: [year, quarter]",
        True,
    ),
    (
        re.compile(r"expected ',' or '\}'"),
        "en mappning inom { } är inte avslutad",
        "avsluta med } och skilj paren åt med komma, t.ex. {count: persons, where: named_gp}",
        True,
    ),
    (
        re.compile(r"expected <block end>, but found"),
        "indraget stämmer inte med raderna ovanför",
        "ge nycklar på samma nivå exakt samma indrag (mellanslag), och listpunkter '- ' samma indrag",
        False,
    ),
    (
        re.compile(r"found undefined alias '([^']*)'"),
        "aliaset '*{0}' har inget ankare '&{0}' ovanför",
        "definiera &{0} innan det används, eller skriv ut värdet",
        False,
    ),
    (
        re.compile(r"found duplicate anchor"),
        "samma ankare (&namn) definieras två gånger",
        "ge varje ankare ett eget namn",
        False,
    ),
)


def translate(exc: yaml.MarkedYAMLError) -> Translation:
    """The Swedish message, hint and 1-based line of a PyYAML syntax error."""
    problem = exc.problem or str(exc)
    problem_line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
    context_line = exc.context_mark.line + 1 if exc.context_mark is not None else None
    for pattern, message, hint, at_context in _KNOWN:
        match = pattern.search(problem)
        if match:
            line = (context_line or problem_line) if at_context else (problem_line or context_line)
            return Translation(message.format(*match.groups()), hint.format(*match.groups()), line)
    return Translation(f"filen är inte giltig YAML ({problem})", GENERAL_HINT, problem_line or context_line)
