"""Project: the project's own fields, and tables of its runs and models."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from nepnb.client.config import resolve_settings
from nepnb.client.objects import NeptuneObject
from nepnb.client.opening import OpenRequest, open_connection
from nepnb.client.table import Table, fetch_table
from nepnb.exceptions import InvalidValue
from nepnb.store.base import ObjectKind


class Project(NeptuneObject):
    """A project: its metadata fields and its runs and models."""

    _kind_label = "project"
    _kind = ObjectKind.PROJECT

    def _label(self) -> str:
        return f"project {self._project}"

    def fetch_runs_table(
        self,
        *,
        query: str | None = None,
        id: str | Iterable[str] | None = None,
        state: str | Iterable[str] | None = None,
        owner: str | Iterable[str] | None = None,
        tag: str | Iterable[str] | None = None,
        columns: Iterable[str] | None = None,
        trashed: bool | None = False,
        limit: int | None = None,
        sort_by: str = "sys/creation_time",
        ascending: bool = False,
        progress_bar: Any = None,
    ) -> Table:
        """The project's runs, filtered by ``query`` (NQL) or by id/state/owner/tag."""
        return fetch_table(
            self._table_store(), self._project, ObjectKind.RUN,
            query=query, ids=id, states=state, owners=owner, tags=tag, columns=columns,
            trashed=trashed, limit=limit, sort_by=sort_by, ascending=ascending,
        )  # fmt: skip

    def fetch_models_table(
        self,
        *,
        query: str | None = None,
        columns: Iterable[str] | None = None,
        trashed: bool | None = False,
        limit: int | None = None,
        sort_by: str = "sys/creation_time",
        ascending: bool = False,
        progress_bar: Any = None,
    ) -> Table:
        """The project's models."""
        return fetch_table(
            self._table_store(), self._project, ObjectKind.MODEL,
            query=query, columns=columns, trashed=trashed, limit=limit, sort_by=sort_by,
            ascending=ascending,
        )  # fmt: skip

    def _table_store(self) -> Any:
        store, _ = self._readable()
        return store


def init_project(
    project: str | None = None,
    *,
    api_token: str | None = None,
    mode: str | None = None,
    flush_period: float = 5,
    proxies: dict[str, str] | None = None,
    async_lag_callback: Callable[[Project], None] | None = None,
    async_lag_threshold: float = 1800.0,
    async_no_progress_callback: Callable[[Project], None] | None = None,
    async_no_progress_threshold: float = 300.0,
) -> Project:
    """Open a project: its own fields (``project["general/brief"] = ...``) and its tables."""
    settings = resolve_settings(project, api_token, mode)
    if settings.mode == "offline":
        raise InvalidValue(
            "a project cannot be opened in offline mode: its tables live in the store. "
            "Use mode='async' (default) or 'read-only'."
        )
    request = OpenRequest(
        ObjectKind.PROJECT,
        settings,
        flush_period=flush_period,
        lag_callback=async_lag_callback,  # type: ignore[arg-type]
        lag_threshold=async_lag_threshold,
        no_progress_callback=async_no_progress_callback,  # type: ignore[arg-type]
        no_progress_threshold=async_no_progress_threshold,
    )
    return Project(open_connection(request))
