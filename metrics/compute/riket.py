"""Riket (code `RIKET`, area_level 'riket') exists only where the data cover the whole country.

A riket cell is Σ län. With two of the 21 län it is not Sweden, and it is one more published sum:
riket − one län = the other län, so protection would have to hide more län cells for a number
nobody should read as riket. So riket costs a regional installation nothing:

- `covers_whole_country`: compute puts riket in the area roll-up (`areas`) only when the
  deliveries (`covered_months`, any source) cover at least one kommun in every one of the 21 län;
  otherwise the queries never sum it.
- `whole_country_only`: then, per indicator and period, its riket cells are kept only when all
  21 län have cells and no kommun is missing ("saknas") – the same rule the board uses to call a
  cell "Riket" (`metrics.dashboard.logic.riket`). Other riket cells are dropped before
  suppression, so they are neither protected nor published.
- `riket_hidden`: a riket cell is published only where every län cell of it is published. It is
  then their sum, which tells nothing the län cells do not (so it is not hidden for being small
  either); where a län cell is hidden or withheld, riket is hidden too, and riket − the other län
  cannot give the hidden one away. So riket is kept out of the län's disclosure audit: as one
  more equation of the LP (riket = Σ län) it joined the hidden cells of all 21 län into one
  problem, and at national size `sip_delaktighet`'s did not finish in 20 minutes; without it the
  LP is 21 problems, one per län (392 s, 1.2 M simplex iterations on 2 cores).

Where there is no computed riket, the board shows Kolada's ("Riket enligt Kolada").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics.compute.areas import RIKET_LEVEL, covers_whole_country
from metrics.geography import load_geography

__all__ = ["RIKET_LEVEL", "covers_whole_country", "riket_hidden", "whole_country_only"]


def whole_country_only(raw: pd.DataFrame) -> pd.DataFrame:
    """`raw` without the riket cells of periods that not all 21 län have, or that miss a kommun."""
    is_riket = (raw["area_level"] == RIKET_LEVEL).to_numpy()
    if not is_riket.any():
        return raw
    period = ["period_type", "period_start"]
    missing = raw["missing"].fillna(False).astype(bool)
    lan = raw[(raw["area_level"] == "lan") & ~missing]
    lans = lan.groupby(period)["area_code"].nunique()
    gaps = raw[missing & (raw["area_level"] == "kommun")].groupby(period).size()
    whole = lans[lans == len(load_geography().lan)].index.difference(gaps.index)
    keys = pd.MultiIndex.from_frame(raw[period])
    keep = ~is_riket | np.asarray(keys.isin(whole))
    if keep.all():
        return raw
    return raw[keep].reset_index(drop=True)


CELL_KEY = ["period_type", "period_start", "breakdown", "sex", "age_band"]


def riket_hidden(cells: pd.DataFrame, unpublished: np.ndarray, is_riket: np.ndarray) -> np.ndarray:
    """For each riket row of `cells` (`is_riket`): whether to hide it, i.e. whether a län cell of
    the same period and breakdown is unpublished (hidden or withheld: `unpublished`)."""
    keys = cells[CELL_KEY].astype(object).where(cells[CELL_KEY].notna(), None)
    lan = (cells["area_level"] == "lan").to_numpy()
    not_shown = pd.MultiIndex.from_frame(keys[lan & unpublished]).unique()
    riket_keys = pd.MultiIndex.from_frame(keys[is_riket])
    return np.asarray(riket_keys.isin(not_shown), dtype=np.bool_)
