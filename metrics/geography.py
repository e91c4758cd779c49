"""The reference geography: Sweden's 290 kommuner and 21 län (SCB codes), and riket above them."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

RIKET = "00"  # riket's area code in `results` (area_level 'riket'), as Kolada's 0000 is stored
RIKET_NAME = "Riket"


@dataclass(frozen=True)
class Kommun:
    code: str  # four digits, e.g. "0580"
    name: str
    lan: str  # two digits, e.g. "05"


@dataclass(frozen=True)
class Lan:
    code: str
    name: str


@dataclass(frozen=True)
class Geography:
    kommuner: dict[str, Kommun]
    lan: dict[str, Lan]

    def kommuner_in(self, lan_code: str) -> list[Kommun]:
        return sorted((k for k in self.kommuner.values() if k.lan == lan_code), key=lambda k: k.code)

    def area_name(self, code: str) -> str:
        """Name of a kommun, län or riket code; the code itself when unknown."""
        if code in self.kommuner:
            return self.kommuner[code].name
        if code in self.lan:
            return self.lan[code].name
        if code == RIKET:
            return RIKET_NAME
        return code


@lru_cache(maxsize=1)
def load_geography() -> Geography:
    """Read the bundled reference table (kept in the package so nothing downloads at run time)."""
    text = resources.files("metrics.reference").joinpath("kommuner.csv").read_text(encoding="utf-8")
    kommuner: dict[str, Kommun] = {}
    lan: dict[str, Lan] = {}
    for row in csv.DictReader(text.splitlines()):
        kommuner[row["kommun"]] = Kommun(row["kommun"], row["name"], row["lan"])
        lan[row["lan"]] = Lan(row["lan"], row["lan_name"])
    return Geography(kommuner=kommuner, lan=lan)
