"""Which län and kommuner the demo generates, and how they are named in its messages."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from metrics.demo.kommuner import KOMMUNER, DemoKommun
from metrics.demo.synthetic import synthetic_kommuner
from metrics.errors import MatavlaError
from metrics.geography import load_geography

REAL_LAN = ("05", "23")  # the län whose kommuner have hand-made profiles and SCB's population


def _short_name(lan_name: str) -> str:
    """'Östergötlands län' → 'Östergötland', 'Skåne län' → 'Skåne' (the genitive s goes with 'län')."""
    stem = lan_name.removesuffix(" län")
    return stem.removesuffix("s") if lan_name.endswith("s län") else stem


# All 21 län by code, named as the demo's messages name them ('Östergötland och Jämtland').
DEMO_LAN: dict[str, str] = {code: _short_name(lan.name) for code, lan in sorted(load_geography().lan.items())}
ALL_LAN: tuple[str, ...] = tuple(DEMO_LAN)


@cache
def all_kommuner() -> tuple[DemoKommun, ...]:
    """Sweden's 290 kommuner in code order: the hand-made profiles, the generated ones for the rest."""
    return tuple(sorted(KOMMUNER + synthetic_kommuner(), key=lambda k: k.code))


def check_lan(codes: Sequence[str]) -> None:
    """MatavlaError in Swedish naming the valid codes when a code is not one of the 21 län."""
    unknown = [code for code in codes if code not in DEMO_LAN]
    if unknown:
        raise MatavlaError(
            f"okänd länskod {', '.join(unknown)}: demodata finns för län "
            f"{', '.join(ALL_LAN)} (eller --lan all för alla 21)"
        )


def kommuner_in(lan: Sequence[str]) -> tuple[DemoKommun, ...]:
    """The demo kommuner of the given län, in code order whatever the order of `lan`."""
    check_lan(lan)
    return tuple(k for k in all_kommuner() if k.lan in lan)


def has_synthetic_population(lan: Sequence[str]) -> bool:
    """True when some of the län's kommuner get the rank-size population rather than SCB's."""
    return any(code not in REAL_LAN for code in lan)


def lan_names(lan: Sequence[str]) -> str:
    """'Östergötland och Jämtland' for ('05', '23'), 'alla 21 län' for all; an unknown code as itself."""
    if len(lan) > 1 and set(lan) == set(ALL_LAN):
        return f"alla {len(ALL_LAN)} län"
    names = [DEMO_LAN.get(code, code) for code in lan]
    return " och ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)
