"""Model and ModelVersion: the model registry."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from nepnb.client.config import resolve_settings
from nepnb.client.objects import STAGES, NeptuneObject
from nepnb.client.opening import OpenRequest, assign, open_connection, owner
from nepnb.client.table import Table, fetch_table
from nepnb.exceptions import InvalidValue
from nepnb.store.base import ObjectKind
from nepnb.store.field_types import FieldType

_MODEL_KEY = re.compile(r"^[A-Z0-9]{1,10}$")


class Model(NeptuneObject):
    """A registered model; its versions are ModelVersion objects."""

    _kind_label = "model"
    _kind = ObjectKind.MODEL

    def fetch_model_versions_table(
        self,
        *,
        query: str | None = None,
        columns: Iterable[str] | None = None,
        limit: int | None = None,
        sort_by: str = "sys/creation_time",
        ascending: bool = False,
        progress_bar: Any = None,
    ) -> Table:
        """The versions of this model."""
        store, _ = self._readable()
        return fetch_table(
            store, self._project, ObjectKind.MODEL_VERSION,
            query=query, columns=columns, trashed=False, limit=limit, sort_by=sort_by,
            ascending=ascending, model_id=self._sys_id,
        )  # fmt: skip


class ModelVersion(NeptuneObject):
    """A version of a model, with a stage: none, staging, production or archived."""

    _kind_label = "model version"
    _kind = ObjectKind.MODEL_VERSION

    def change_stage(self, stage: str) -> None:
        """Move the version to ``stage`` ("none", "staging", "production", "archived")."""
        if stage not in STAGES:
            raise InvalidValue(f"stage {stage!r} is not one of {', '.join(STAGES)}")
        if self._mode == "read-only":
            self._check_writable("sys/stage")  # raises, saying how to open it for writing
        self.wait()
        self._assign_internal("sys/stage", FieldType.STRING, stage)
        self._writer.after_call(True)


def _common_new(name: str | None) -> list[Any]:
    now = time.time()
    return [
        assign("sys/name", FieldType.STRING, name if name is not None else "Untitled"),
        assign("sys/description", FieldType.STRING, ""),
        assign("sys/tags", FieldType.STRING_SET, []),
        assign("sys/trashed", FieldType.BOOL, False),
        assign("sys/owner", FieldType.STRING, owner()),
        assign("sys/ping_time", FieldType.DATETIME, now),
    ]


def _resume(name: str | None) -> list[Any]:
    return [] if name is None else [assign("sys/name", FieldType.STRING, name)]


def _no_offline(kind: str, mode: str) -> None:
    if mode == "offline":
        raise InvalidValue(
            f"a {kind} cannot be opened in offline mode. Use mode='async' (default), 'sync' "
            "or 'read-only'."
        )


def init_model(
    with_id: str | None = None,
    *,
    name: str | None = None,
    key: str | None = None,
    project: str | None = None,
    api_token: str | None = None,
    mode: str | None = None,
    flush_period: float = 5,
    proxies: dict[str, str] | None = None,
    async_lag_callback: Callable[[Model], None] | None = None,
    async_lag_threshold: float = 1800.0,
    async_no_progress_callback: Callable[[Model], None] | None = None,
    async_no_progress_threshold: float = 300.0,
) -> Model:
    """Create a model with ``key`` (e.g. "FOREST"), or open one with ``with_id``."""
    settings = resolve_settings(project, api_token, mode)
    _no_offline("model", settings.mode)
    if with_id is None:
        if key is None:
            raise InvalidValue("init_model() needs key='...' for a new model, or with_id='...'")
        if not _MODEL_KEY.match(key):
            raise InvalidValue(
                f"model key {key!r} must be 1 to 10 upper-case letters or digits, e.g. 'FOREST'"
            )
    request = OpenRequest(
        ObjectKind.MODEL, settings, with_id=with_id, model_key=key,
        new_fields=_common_new(name), resume_fields=_resume(name), flush_period=flush_period,
        lag_callback=async_lag_callback, lag_threshold=async_lag_threshold,  # type: ignore[arg-type]
        no_progress_callback=async_no_progress_callback,  # type: ignore[arg-type]
        no_progress_threshold=async_no_progress_threshold,
    )  # fmt: skip
    return Model(open_connection(request))


def init_model_version(
    with_id: str | None = None,
    *,
    name: str | None = None,
    model: str | None = None,
    project: str | None = None,
    api_token: str | None = None,
    mode: str | None = None,
    flush_period: float = 5,
    proxies: dict[str, str] | None = None,
    async_lag_callback: Callable[[ModelVersion], None] | None = None,
    async_lag_threshold: float = 1800.0,
    async_no_progress_callback: Callable[[ModelVersion], None] | None = None,
    async_no_progress_threshold: float = 300.0,
) -> ModelVersion:
    """Create a version of ``model`` (its id, e.g. "CLS-FOREST"), or open one with ``with_id``."""
    settings = resolve_settings(project, api_token, mode)
    _no_offline("model version", settings.mode)
    model_id = None
    if with_id is None:
        if model is None:
            raise InvalidValue(
                "init_model_version() needs model='KEY-MODEL' for a new version, or with_id"
            )
        if settings.mode != "debug":
            from nepnb.client.config import store_for

            found = store_for(settings).find_object(settings.project, sys_id=model)
            if found.kind is not ObjectKind.MODEL:
                raise InvalidValue(f"{model} is a {found.kind.value}, not a model")
            model_id = found.sys_id
        else:
            model_id = model
    new_fields = [
        *_common_new(name),
        assign("sys/model_id", FieldType.STRING, model_id or ""),
        assign("sys/stage", FieldType.STRING, "none"),
    ]
    request = OpenRequest(
        ObjectKind.MODEL_VERSION, settings, with_id=with_id, model_id=model_id,
        new_fields=new_fields, resume_fields=_resume(name), flush_period=flush_period,
        lag_callback=async_lag_callback, lag_threshold=async_lag_threshold,  # type: ignore[arg-type]
        no_progress_callback=async_no_progress_callback,  # type: ignore[arg-type]
        no_progress_threshold=async_no_progress_threshold,
    )  # fmt: skip
    return ModelVersion(open_connection(request))
