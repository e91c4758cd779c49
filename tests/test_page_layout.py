"""The preamble every page over the results shares (`snapshot_layout`): URL state, snapshot, empty page."""

from __future__ import annotations

from typing import Any

import pytest
from dash import html

from metrics.dashboard.logic.urlstate import ViewState
from metrics.dashboard.source.data import DataUnavailable
from metrics.dashboard.views import page
from metrics.dashboard.views.page import page_head, snapshot_layout
from tests.test_kolada_board import texts

HEAD = page_head("Provsida", "En sida för testet.")


def test_a_page_without_a_snapshot_is_the_empty_page_with_its_head(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable() -> None:
        raise DataUnavailable("busy", "Databasen är upptagen.")

    monkeypatch.setattr(page, "current_snapshot", unavailable)
    called: list[object] = []

    @snapshot_layout(HEAD)
    def layout(state: ViewState, snap: object, **_: Any) -> html.Div | None:
        called.append(snap)
        return html.Div("sidan")

    shown = texts(layout(lan="05"))
    assert "Provsida" in shown and "sidan" not in shown
    assert called == []  # the body never runs without a snapshot


def test_the_body_gets_the_state_the_snapshot_and_the_path_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = object()
    monkeypatch.setattr(page, "current_snapshot", lambda: snapshot)
    seen: list[tuple[str | None, object, str | None]] = []

    @snapshot_layout(HEAD)
    def layout(state: ViewState, snap: object, kod: str | None = None, **_: Any) -> html.Div | None:
        seen.append((state.lan, snap, kod))
        return None if kod is None else html.Div(f"kommun {kod}")

    assert texts(layout(kod="0580", lan="05")) == ["kommun 0580"]
    assert seen == [("05", snapshot, "0580")]
    # the body finds nothing to show: the empty page, with the head and 'Ingen data än'
    empty = "\n".join(texts(layout(lan="05")))
    assert "Provsida" in empty and "Ingen data än" in empty


def test_a_query_named_like_the_bodys_arguments_does_not_break_the_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Dash passes every query parameter to layout(); before the helper a page ignored unknown ones
    # (`**params`). '/planen?snap=1' or '?state=x' must not reach the body as a second 'snap'/'state'.
    snapshot = object()
    monkeypatch.setattr(page, "current_snapshot", lambda: snapshot)
    seen: list[tuple[str | None, object]] = []

    @snapshot_layout(HEAD)
    def layout(state: ViewState, snap: object, **_: Any) -> html.Div | None:
        seen.append((state.lan, snap))
        return html.Div("sidan")

    assert texts(layout(lan="05", snap="1", state="x")) == ["sidan"]
    assert seen == [("05", snapshot)]
