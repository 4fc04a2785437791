"""The client's events (nepnb.client.hooks): the layers above subscribe, the client calls."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import nepnb
from nepnb.client import hooks
from nepnb.exceptions import NepnbError


@pytest.fixture
def opened() -> Iterator[list[Any]]:
    """The runs ``init_run`` announced to a listener while the test ran."""
    seen: list[Any] = []
    hooks.on_run_opened(seen.append)
    yield seen
    hooks.off_run_opened(seen.append)


def test_a_listener_hears_of_each_run_opened_for_writing(
    new_run: Callable[..., Any], opened: list[Any]
) -> None:
    run = new_run(mode="sync")
    assert opened == [run]
    new_run(mode="read-only", with_id=run["sys/id"].fetch())
    assert opened == [run]  # a run opened to read is not one a notebook writes


def test_a_listener_registered_twice_hears_once(
    new_run: Callable[..., Any], opened: list[Any]
) -> None:
    hooks.on_run_opened(opened.append)
    new_run(mode="debug")
    assert len(opened) == 1


def test_the_kernel_subscribes_when_nepnb_is_imported() -> None:
    from nepnb import kernel

    assert kernel._run_opened in hooks._run_opened


def test_the_announcement_goes_where_the_provider_says(
    new_run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(hooks, "_announcement", [lambda: stream])
    run = new_run(mode="sync")
    assert stream.getvalue().startswith(f"nepnb: run {run['sys/id'].fetch()} in project ")
    monkeypatch.setattr(hooks, "_announcement", [lambda: None])
    new_run(mode="sync")  # None: said nowhere, and no error


def test_handler_chart_goes_through_the_registered_factory(
    new_run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(hooks, "_chart", [lambda obj, path, **kw: calls.append((obj, path, kw))])
    run = new_run(mode="sync")
    run["loss"].append(0.5)
    run["loss"].chart(height=200)
    assert calls == [(run, "loss", {"height": 200})]


def test_nepnb_registers_its_widgets_as_the_chart_factory() -> None:
    assert hooks._chart == [nepnb.chart]


def test_without_a_chart_factory_the_error_says_what_to_do(
    new_run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hooks, "_chart", [])
    run = new_run(mode="sync")
    run["loss"].append(0.5)
    with pytest.raises(NepnbError, match=r"nepnb\.chart"):
        run["loss"].chart()
