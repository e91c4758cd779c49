"""Kolada's kommun groups ("liknande kommuner"): each chosen group's title and member kommuner.

An indicator chooses groups under `kolada: groups: [G36186]`; Kolada's data answer carries the
groups' values (an unweighted mean of the members) beside riket, the län and the kommuner. This
module fetches what the id alone does not say, the group's title and members, so the board can
name it ("Liknande kommuner: … (Kolada, grupp G36186)") and say who is in it.

The answer's shape, from the sources that document or read `/v3/municipality_groups`:

- RKA's API description (github.com/Hypergene/kolada, README.rst, "Metadata" and "Groups"):
  `municipality_groups` is a metadata entity, asked as `municipality_groups/<id>` (ids may be
  comma separated) or `?title=`; every answer is `{"values": [...], "count": N}` and a link to the
  next page while there is one, at most 5000 items a page (`per_page`); a group is
  `{"id", "title", "members": [...]}`. Its members there are drawn as `{"id", "title"}`.
- rKolada (the maintained R client, CRAN): its municipality group tables, read from the JSON
  as it comes (`get_metadata`: `jsonlite::fromJSON(...)[["values"]]`, no renaming), hold
  `members` with `member_id` and `member_title` (R/municipality_grp.R, tests/testthat/test-groups.R);
  a v3 client built on it unnests `members` of `/v3/municipality_groups?page=1&per_page=5000`
  and reads `member_id`.
- koladapy 1.0.1 (the v3 wrapper on PyPI, koladapy/api.py): `get_municipality_group(id)` asks
  `municipality_groups/{id}` and takes `values[0]`; the list (`get_municipality_groups`) is paged
  with `page`/`per_page` until `next_url` is empty, the same paging as the data.

So a member is read from `member_id`/`member_title`, or from `id`/`title` where an answer has
those; `next_url` is followed as for the data. Not a dependency: koladapy would read the same
request, but not with the retries and Swedish errors of `metrics.kolada.client` (see there).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from metrics.catalogue.model import Indicator
from metrics.kolada.client import KoladaClient, KoladaError

GROUPS_DDL = """
CREATE TABLE IF NOT EXISTS kolada_groups (
    group_id   VARCHAR NOT NULL PRIMARY KEY, -- Kolada's id of the group, e.g. 'G36186'
    title      VARCHAR,                      -- Kolada's title of the group
    members    INTEGER NOT NULL,             -- how many member kommuner Kolada lists
    source     VARCHAR NOT NULL,             -- the API page's URL
    fetched_at TIMESTAMP NOT NULL            -- when we fetched it
)
"""

MEMBERS_DDL = """
CREATE TABLE IF NOT EXISTS kolada_group_members (
    group_id  VARCHAR NOT NULL, -- 'G36186'
    kolada_id VARCHAR NOT NULL, -- the member's Kolada id: a kommunkod, e.g. '0580'
    title     VARCHAR,          -- the member's name in Kolada, e.g. 'Linköping'
    PRIMARY KEY (group_id, kolada_id)
)
"""


@dataclass(frozen=True)
class KommunGroup:
    group_id: str
    title: str | None
    members: tuple[tuple[str, str | None], ...]  # (Kolada id, name) in Kolada's order
    source: str  # the API page the group came from

    def line(self) -> str:
        """'G36186 ”Liknande kommuner …”: 7 kommuner; källa: <url>' for the command's report."""
        title = f" ”{self.title}”" if self.title else ""
        n = len(self.members)
        members = f"{n} {'kommun' if n == 1 else 'kommuner'}"
        return f"kommungrupp {self.group_id}{title}: {members}; källa: {self.source}"


def ensure_group_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(GROUPS_DDL)
    con.execute(MEMBERS_DDL)


def _text(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def parse_group(record: dict[str, Any], source: str) -> KommunGroup | None:
    """A group record of the answer; None without an id. Members without an id are left out."""
    group_id = _text(record.get("id"))
    if group_id is None:
        return None
    members: dict[str, str | None] = {}  # a member listed twice is kept once
    for member in record.get("members") or []:
        if not isinstance(member, dict):
            continue
        kolada_id = _text(member.get("member_id", member.get("id")))
        if kolada_id is not None:
            members.setdefault(kolada_id, _text(member.get("member_title", member.get("title"))))
    return KommunGroup(group_id.upper(), _text(record.get("title")), tuple(members.items()), source)


def chosen_groups(indicators: Sequence[Indicator]) -> dict[str, list[Indicator]]:
    """Group id → the indicators that choose it, in catalogue order."""
    out: dict[str, list[Indicator]] = {}
    for indicator in indicators:
        if indicator.kolada is not None:
            for group in indicator.kolada.groups:
                out.setdefault(group, []).append(indicator)
    return out


def fetch_groups(client: KoladaClient, indicators: Sequence[Indicator]) -> list[KommunGroup]:
    """The chosen groups' title and members from Kolada; refuses a group Kolada does not know,
    naming the YAML line that chose it."""
    wanted = chosen_groups(indicators)
    if not wanted:
        return []
    found: dict[str, KommunGroup] = {}
    for page in client.municipality_groups(wanted):
        for record in page.values:
            group = parse_group(record, page.url)
            if group is not None and group.group_id in wanted:
                found.setdefault(group.group_id, group)
    if missing := [g for g in wanted if g not in found]:
        first = wanted[missing[0]][0]
        line = first.kolada.line if first.kolada is not None else 0
        raise KoladaError(
            f"{first.file}:{line}: Kolada har ingen kommungrupp {', '.join(missing)} (indikator "
            f"{', '.join(dict.fromkeys(i.id for g in missing for i in wanted[g]))}) (tips: kontrollera "
            "id:t under kolada: groups: mot gruppens adress på kolada.se, G och siffror)"
        )
    return [found[g] for g in sorted(wanted)]


def store_groups(con: duckdb.DuckDBPyConnection, groups: Iterable[KommunGroup], fetched_at: datetime) -> int:
    """Replace the stored title and members of each group, in one transaction; groups stored."""
    ensure_group_tables(con)
    groups = list(groups)
    con.execute("BEGIN TRANSACTION")
    try:
        for group in groups:
            con.execute("DELETE FROM kolada_group_members WHERE group_id = ?", [group.group_id])
            con.execute("DELETE FROM kolada_groups WHERE group_id = ?", [group.group_id])
            con.execute(
                "INSERT INTO kolada_groups VALUES (?, ?, ?, ?, ?)",
                [group.group_id, group.title, len(group.members), group.source, fetched_at],
            )
            if group.members:
                con.executemany(
                    "INSERT INTO kolada_group_members VALUES (?, ?, ?)",
                    [[group.group_id, k, t] for k, t in group.members],
                )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return len(groups)
