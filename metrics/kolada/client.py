"""A thin client for Kolada's v3 API (api.kolada.se/v3), with the network behind a transport.

What it uses of the API (v3, as documented by RKA and used by the maintained clients rKolada and
koladapy):

- `GET /v3/kpi/{id}`: the KPI's metadata (`title`, `publication_date`, `prel_publication_date`,
  `publ_period`, `is_divided_by_gender`, …) in `{"values": [...]}`.
- `GET /v3/data/kpi/{id}/year/{years}?per_page=5000&from_date=YYYY-MM-DD`: the values of every
  area (riket, regions, kommuner, groups) for the years, as `{"count": N, "values": [{"kpi",
  "municipality", "period", "values": [{"gender": "T|K|M", "count", "status", "value",
  "isdeleted"}]}], "next_url": "…"}`. At most 25 ids per path segment (so years go in chunks);
  `next_url` names the next page until the last.
- `GET /v3/municipality_groups/{ids}?per_page=5000`: the chosen kommun groups ("liknande
  kommuner"), paged like the data, as `{"count", "values": [{"id", "title", "members":
  [{"member_id", "member_title"}]}], "next_url"}` (see `metrics.kolada.groups` for the sources).

Why not koladapy (the v3 wrapper on PyPI, 1.0.1): it retries only HTTP 429 — a timeout, a
refused connection or a 503 is raised at once as `KoladaAPIError` (its retry decorator watches
`requests` exceptions, which it has already converted); a failed batch is logged and skipped, so
a fetch can silently miss years; it needs requests, tqdm and backoff and prints progress bars. It
does page and pass `from_date`. This module keeps the same requests and adds the retries, the
Swedish errors and the page URLs for provenance, with the standard library only.

Tests never open a socket: they pass a `Transport` that answers from recorded JSON.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from metrics.errors import MatavlaError

BASE_URL = "https://api.kolada.se/v3"
PER_PAGE = 5000  # the API's largest page
MAX_IDS = 25  # the API refuses more ids than this in one path segment
MAX_PAGES = 1000  # a guard against a next_url that never ends
MAX_BYTES = 64 * 1024 * 1024  # one page of 5000 values is about 1 MB; more is not Kolada
OFFLINE_HINT = (
    "kontrollera internetanslutningen och att api.kolada.se nås (proxy, brandvägg); utan internet: "
    "hämta nyckeltalet från kolada.se på en dator med internet, spara filen och läs in den med "
    "`matavla kolada --file FIL` (docs/kolada.md)"
)


class KoladaError(MatavlaError):
    """Kolada could not be reached or answered something we cannot use; the text is Swedish."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


class TransportError(Exception):
    """No usable HTTP answer; `kind`: 'timeout', 'offline', 'no_host', 'certificate', 'too_large'."""

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind = kind
        super().__init__(detail or kind)


class Transport(Protocol):
    def __call__(self, url: str, timeout: float) -> Response: ...


def urllib_transport(url: str, timeout: float) -> Response:
    """The real network, through the standard library."""
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "matavla"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Response(answer.status, _read_capped(answer), dict(answer.headers))
    except urllib.error.HTTPError as exc:
        return Response(exc.code, _read_capped(exc), dict(exc.headers or {}))
    except TimeoutError as exc:
        raise TransportError("timeout", str(exc)) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise TransportError("timeout", str(exc.reason)) from exc
        if isinstance(exc.reason, socket.gaierror):  # the name does not resolve: offline or no DNS
            raise TransportError("no_host", str(exc.reason)) from exc
        if isinstance(exc.reason, ssl.SSLCertVerificationError):  # e.g. a proxy that intercepts TLS
            raise TransportError("certificate", str(exc.reason)) from exc
        raise TransportError("offline", str(exc.reason)) from exc
    except (OSError, http.client.HTTPException) as exc:  # e.g. the connection cut mid-answer
        raise TransportError("offline", str(exc) or type(exc).__name__) from exc


def _read_capped(answer: Any) -> bytes:
    body = answer.read(MAX_BYTES + 1) or b""
    if len(body) > MAX_BYTES:
        raise TransportError("too_large", f"mer än {MAX_BYTES // (1024 * 1024)} MB")
    return bytes(body)


@dataclass(frozen=True)
class Page:
    url: str
    values: list[dict[str, Any]]


def chunks(items: list[int], size: int = MAX_IDS) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class KoladaClient:
    """Reads KPI metadata and values; retries what may pass (no answer, 429, 5xx) with backoff."""

    def __init__(
        self,
        transport: Transport | None = None,
        *,
        base_url: str = BASE_URL,
        per_page: int = PER_PAGE,
        retries: int = 3,
        backoff: float = 2.0,
        max_wait: float = 60.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.transport: Transport = transport or urllib_transport
        self.base_url = base_url.rstrip("/")
        self.per_page = per_page
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.timeout = timeout
        self.sleep = sleep or time.sleep
        self.requests: list[str] = []  # every URL asked, in order (for tests and the log)

    # --- the calls -----------------------------------------------------------------------------

    def kpi(self, kpi_id: str) -> dict[str, Any] | None:
        """The KPI's metadata, or None when Kolada has no such KPI."""
        values = self.get_json(f"{self.base_url}/kpi/{kpi_id}").get("values") or []
        return next((v for v in values if isinstance(v, dict) and v.get("id") == kpi_id), None)

    def values(self, kpi_id: str, years: Iterable[int], since: date | None = None) -> Iterator[Page]:
        """Every page of the KPI's values for the years (all areas), changed after `since` if given."""
        for part in chunks(sorted(set(years))):
            query: dict[str, str] = {"per_page": str(self.per_page)}
            if since is not None:
                query["from_date"] = since.isoformat()
            yield from self.pages(
                f"{self.base_url}/data/kpi/{kpi_id}/year/{','.join(map(str, part))}?{urlencode(query)}"
            )

    def municipality_groups(self, group_ids: Iterable[str]) -> Iterator[Page]:
        """Every page of the kommun groups' metadata (title and members), 25 ids a request."""
        ids = sorted(set(group_ids))
        for start in range(0, len(ids), MAX_IDS):
            part = ",".join(ids[start : start + MAX_IDS])
            yield from self.pages(
                f"{self.base_url}/municipality_groups/{part}?{urlencode({'per_page': str(self.per_page)})}"
            )

    def pages(self, url: str) -> Iterator[Page]:
        """The page at `url` and each page its `next_url` names, until the last."""
        next_page: str | None = url
        seen: set[str] = set()
        while next_page:
            if next_page in seen or len(seen) >= MAX_PAGES:
                raise KoladaError(f"Kolada gav samma sida igen ({next_page}); hämtningen avbröts")
            seen.add(next_page)
            payload = self.get_json(next_page)
            values = payload.get("values")
            if not isinstance(values, list):
                raise KoladaError(f"Kolada svarade utan 'values' på {next_page} (tips: {OFFLINE_HINT})")
            yield Page(next_page, [v for v in values if isinstance(v, dict)])
            next_page = self._next(payload.get("next_url"), next_page)

    def _next(self, next_url: object, current: str) -> str | None:
        if not next_url:
            return None
        text = str(next_url)
        if text.startswith("/"):
            base = urlsplit(self.base_url)
            text = f"{base.scheme}://{base.netloc}{text}"
        there, here = urlsplit(text), urlsplit(self.base_url)
        if (there.scheme, there.netloc) != (here.scheme, here.netloc):
            raise KoladaError(f"Kolada pekade nästa sida till en annan adress ({text}); hämtningen avbröts")
        return text

    # --- one request, with retries -------------------------------------------------------------

    def get_json(self, url: str) -> dict[str, Any]:
        attempts = self.retries + 1
        why = ""
        for attempt in range(attempts):
            self.requests.append(url)
            wait = self.backoff * 2**attempt
            try:
                answer = self.transport(url, self.timeout)
            except TransportError as exc:
                if exc.kind == "too_large":
                    raise KoladaError(
                        f"Kolada svarade med {exc} på {url}; hämtningen avbröts "
                        "(tips: kontrollera adressen; försök igen senare)"
                    ) from None
                if exc.kind == "certificate":  # trying again gives the same certificate
                    raise KoladaError(
                        f"Kolada:s certifikat kunde inte verifieras ({exc}): {url} (tips: en proxy eller "
                        "brandvägg som bryter upp https behöver sitt rotcertifikat: ange filen med "
                        f"miljövariabeln SSL_CERT_FILE; eller {OFFLINE_HINT.split('utan internet: ')[-1]})"
                    ) from None
                if exc.kind == "no_host":  # trying again in 2, 4 and 8 s does not bring the network back
                    raise KoladaError(
                        f"ingen anslutning: {urlsplit(url).netloc} går inte att slå upp ({exc}): {url} "
                        f"(tips: {OFFLINE_HINT})"
                    ) from None
                why = "tidsgränsen gick ut" if exc.kind == "timeout" else "ingen anslutning"
            else:
                if answer.status == 200:
                    return _json(answer.body, url)
                if answer.status == 404:
                    what = (
                        "kommungruppernas id under kolada: groups:"
                        if "/municipality_groups/" in urlsplit(url).path
                        else "nyckeltalets id under kolada:"
                    )
                    raise KoladaError(
                        f"Kolada känner inte till adressen {url} (HTTP 404) "
                        f"(tips: kontrollera {what} i indicators.yaml)"
                    )
                if answer.status != 429 and answer.status < 500:
                    raise KoladaError(f"Kolada avvisade frågan {url} (HTTP {answer.status})")
                why = "för många frågor (HTTP 429)" if answer.status == 429 else f"HTTP {answer.status}"
                wait = max(wait, _retry_after(answer.headers))
            if attempt + 1 < attempts:
                self.sleep(min(wait, self.max_wait))
        raise KoladaError(
            f"kunde inte hämta från Kolada efter {attempts} försök ({why}): {url} (tips: {OFFLINE_HINT})"
        )


def _retry_after(headers: Mapping[str, str]) -> float:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return 0.0
    return 0.0


def _json(body: bytes, url: str) -> dict[str, Any]:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise KoladaError(f"Kolada svarade med något som inte är JSON på {url}") from None
    if not isinstance(payload, dict):
        raise KoladaError(f"Kolada svarade inte med ett JSON-objekt på {url}")
    return payload
