"""Fixtures the command-line tests share."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def default_project(nepnb_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The local store in a temp folder and the default project (no NEPTUNE_PROJECT)."""
    monkeypatch.delenv("NEPTUNE_PROJECT", raising=False)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """An empty folder for the notebooks of a test."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder
