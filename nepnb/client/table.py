"""Tables of runs, models and model versions (``fetch_runs_table`` …)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from nepnb.store.base import FieldInfo, ObjectKind, Store
from nepnb.store.field_types import FieldType

if TYPE_CHECKING:
    import pandas as pd

_FILTER_PATHS = ("sys/id", "sys/state", "sys/owner", "sys/tags", "sys/trashed")
_STATES = {"active": "running", "inactive": "inactive"}
_HIDDEN_IN_FRAME = frozenset({FieldType.FILE, FieldType.FILE_SET, FieldType.FILE_SERIES})


class TableEntry:
    """One row: ``entry["metrics/acc"].get()``."""

    def __init__(self, fields: Mapping[str, FieldInfo]) -> None:
        self._fields = fields

    def __getitem__(self, path: str) -> _TableValue:
        return _TableValue(self._fields.get(path))

    def get_attribute_value(self, path: str) -> Any:
        return self[path].get()


class _TableValue:
    def __init__(self, info: FieldInfo | None) -> None:
        self._info = info

    def get(self) -> Any:
        from nepnb.exceptions import MissingField

        if self._info is None:
            raise MissingField("(column)")
        return query_value(self._info)[1]


class Table:
    """Rows of a table; ``to_pandas()`` gives a DataFrame with one column per field path."""

    def __init__(self, rows: list[dict[str, FieldInfo]], columns: list[str] | None) -> None:
        self._rows = rows
        self._columns = columns

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[TableEntry]:
        return (TableEntry(row) for row in self._rows)

    def to_rows(self) -> list[TableEntry]:
        return list(self)

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        if self._columns is not None:
            paths = set(self._columns)
        else:
            paths = {
                path
                for row in self._rows
                for path, info in row.items()
                if info.type not in _HIDDEN_IN_FRAME
            }
        ordered = sorted(paths, key=_column_order)
        records = [{path: _frame_value(row.get(path)) for path in ordered} for row in self._rows]
        return pd.DataFrame.from_records(records, columns=ordered)


def _column_order(path: str) -> tuple[int, str]:
    group = 0 if path.startswith("sys/") else 2 if path.startswith("monitoring/") else 1
    return group, path


def _frame_value(info: FieldInfo | None) -> Any:
    if info is None or info.type in _HIDDEN_IN_FRAME:
        return None
    ftype, value = query_value(info)
    if ftype is FieldType.STRING_SET:
        return ",".join(sorted(value))
    if ftype is FieldType.RUN_STATE:
        return "Active" if value == "running" else "Inactive"
    return value


def query_value(info: FieldInfo) -> tuple[FieldType, Any]:
    """The value a query or a table sees: series → last value, git/notebook refs → their id."""
    value = info.value
    if info.type.is_series:
        value = value.get("last") if isinstance(value, dict) else None
    elif info.type is FieldType.STRING_SET:
        value = set(value or ())
    elif info.type is FieldType.GIT_REF:
        value = (value or {}).get("commit_id")
    elif info.type is FieldType.NOTEBOOK_REF:
        value = (value or {}).get("notebook_name") or (value or {}).get("path")
    elif info.type is FieldType.ARTIFACT:
        value = (value or {}).get("hash")
    return info.type, value


def _as_list(value: str | Iterable[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def mark_abandoned(store: Store, project: str) -> list[str]:
    """Mark the objects of ``project`` that were left "running" by a process that died:
    ``sys/state`` "inactive", ``sys/crashed`` True. Returns their ``sys/id``. Only a store
    that can tell a live writer from a dead one marks any (``Store.mark_abandoned``)."""
    return store.mark_abandoned(project)


def fetch_table(
    store: Store,
    project: str,
    kind: ObjectKind,
    *,
    query: str | None = None,
    ids: str | Iterable[str] | None = None,
    states: str | Iterable[str] | None = None,
    owners: str | Iterable[str] | None = None,
    tags: str | Iterable[str] | None = None,
    columns: Iterable[str] | None = None,
    trashed: bool | None = False,
    limit: int | None = None,
    sort_by: str = "sys/creation_time",
    ascending: bool = False,
    model_id: str | None = None,
) -> Table:
    """Filter, sort and cut the objects of ``kind`` in ``project``."""
    from nepnb.store.query import parse_query

    id_list, state_list = _as_list(ids), _as_list(states)
    owner_list, tag_list = _as_list(owners), _as_list(tags)
    if query is not None and any(
        x is not None for x in (id_list, state_list, owner_list, tag_list)
    ):
        raise ValueError(
            "You can't use the 'query' parameter together with the 'id', 'state', 'owner', or "
            "'tag' parameters; write them into the query instead, e.g. "
            "query='`sys/tags`:stringSet CONTAINS \"best\"'"
        )
    if limit is not None and (not isinstance(limit, int) or limit <= 0):
        raise ValueError(f"Parameter 'limit' must be a positive integer or None. Got {limit}.")
    wanted_states = None
    if state_list is not None:
        wanted_states = set()
        for state in state_list:
            if state.lower() not in _STATES:
                raise ValueError(f"state must be one of ('inactive', 'active') (was `{state}`)")
            wanted_states.add(_STATES[state.lower()])
    parsed = parse_query(query) if query else None

    column_list = None if columns is None else list(dict.fromkeys(["sys/id", *columns, sort_by]))
    mark_abandoned(store, project)  # runs whose process died show as crashed, not running
    objects = store.list_objects(project, kind, model_id=model_id)
    needed: set[str] | None = None
    if column_list is not None:
        needed = set(column_list) | set(_FILTER_PATHS) | {sort_by}
        if parsed is not None:
            needed |= parsed.paths()
    fields_of = store.get_fields_of([o.uid for o in objects], needed)

    rows: list[dict[str, FieldInfo]] = []
    for obj in objects:
        fields = fields_of.get(obj.uid, {})
        values = {path: query_value(info) for path, info in fields.items()}
        if trashed is not None and bool(values.get("sys/trashed", (None, False))[1]) != trashed:
            continue
        if id_list is not None and obj.sys_id not in {i.upper() for i in id_list}:
            continue
        if (
            wanted_states is not None
            and values.get("sys/state", (None, None))[1] not in wanted_states
        ):
            continue
        if owner_list is not None and values.get("sys/owner", (None, None))[1] not in owner_list:
            continue
        if tag_list is not None and not set(tag_list) <= set(values.get("sys/tags", (None, ()))[1]):
            continue
        if parsed is not None and not parsed.matches(values):
            continue
        rows.append(fields)

    def sort_key(row: dict[str, FieldInfo]) -> tuple[int, Any]:
        info = row.get(sort_by)
        if info is None:
            return (1, 0)
        value = query_value(info)[1]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return (1, 0)
        return (0, value)

    present = [r for r in rows if sort_key(r)[0] == 0]
    missing = [r for r in rows if sort_key(r)[0] == 1]
    try:
        present.sort(key=lambda r: sort_key(r)[1], reverse=not ascending)
    except TypeError:
        present.sort(key=lambda r: str(sort_key(r)[1]), reverse=not ascending)
    ordered = present + missing
    if limit is not None:
        ordered = ordered[:limit]
    if column_list is not None:
        ordered = [{p: row[p] for p in column_list if p in row} for row in ordered]
    return Table(ordered, column_list)
