"""The NQL parser and evaluator: every operator on every type, precedence, errors."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nepnb.exceptions import NepnbError
from nepnb.store.field_types import FieldType
from nepnb.store.query import EXAMPLE_QUERY, FieldValue, Query, QuerySyntaxError, parse_query

UTC = timezone.utc
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)

RUN: dict[str, FieldValue] = {
    "metrics/acc": (FieldType.FLOAT_SERIES, 0.93),
    "metrics/loss": (FieldType.FLOAT, 0.12),
    "metrics/nan": (FieldType.FLOAT, math.nan),
    "params/epochs": (FieldType.INT, 10),
    "params/lr": (FieldType.FLOAT, 1e-3),
    "params/offset": (FieldType.FLOAT, -2.5),
    "params/use_bn": (FieldType.BOOL, True),
    "params/optimizer": (FieldType.STRING, "AdamW"),
    "params/seed": (FieldType.STRING, "42"),
    "params/path": (FieldType.STRING, 'C:\\data\\"raw"'),
    "sys/name": (FieldType.STRING, "resnet-baseline"),
    "sys/tags": (FieldType.STRING_SET, {"best", "resnet", "my tag"}),
    "sys/state": (FieldType.RUN_STATE, "inactive"),
    "sys/failed": (FieldType.BOOL, False),
    "sys/size": (FieldType.FLOAT, 3_500_000.0),
    # 26 hours before NOW.
    "sys/creation_time": (FieldType.DATETIME, datetime(2026, 3, 14, 10, 0, tzinfo=UTC)),
    "logs/stdout": (FieldType.STRING_SERIES, "epoch 10 done"),
    "model/weights": (FieldType.FILE, object()),
    "data/files": (FieldType.FILE_SET, object()),
    "monitoring/images": (FieldType.FILE_SERIES, object()),
    "source_code/git": (FieldType.GIT_REF, object()),
    "source_code/notebook": (FieldType.NOTEBOOK_REF, object()),
    "data/train": (FieldType.ARTIFACT, "a1b2c3"),
}


def matches(query: str, fields: dict[str, Any] | None = None) -> bool:
    return parse_query(query).matches(RUN if fields is None else fields, now=NOW)


def check(cases: list[tuple[str, bool]]) -> Any:
    """Parametrize a test over (query, expected) pairs, with the query as the id."""
    return pytest.mark.parametrize(("query", "expected"), cases, ids=[q for q, _ in cases])


# --- comparisons by type ------------------------------------------------------------------


NUMERIC = [
    ("`metrics/loss`:float = 0.12", True),
    ("`metrics/loss`:float = 0.13", False),
    ("`metrics/loss`:float == 0.12", True),
    ("`metrics/loss`:float != 0.13", True),
    ("`metrics/loss`:float != 0.12", False),
    ("`metrics/loss`:float < 0.2", True),
    ("`metrics/loss`:float < 0.12", False),
    ("`metrics/loss`:float <= 0.12", True),
    ("`metrics/loss`:float <= 0.1", False),
    ("`metrics/loss`:float > 0.1", True),
    ("`metrics/loss`:float > 0.12", False),
    ("`metrics/loss`:float >= 0.12", True),
    ("`metrics/loss`:float >= 0.2", False),
    ("`params/epochs`:int = 10", True),
    ("`params/epochs`:int != 10", False),
    ("`params/epochs`:int < 11", True),
    ("`params/epochs`:int <= 9", False),
    ("`params/epochs`:int > 9", True),
    ("`params/epochs`:int >= 11", False),
    ("`params/epochs`:integer = 10", True),
    ("`metrics/acc`:floatSeries > 0.9", True),
    ("`metrics/acc`:floatSeries < 0.9", False),
    ("`metrics/acc`:floatSeries = 0.93", True),
    ("`metrics/acc`:floatSeries != 0.93", False),
    ("`metrics/acc`:floatSeries >= 0.93", True),
    ("`metrics/acc`:floatSeries <= 0.92", False),
    ("last(`metrics/acc`:floatSeries) > 0.9", True),
    ("LAST(`metrics/acc`:floatSeries) <= 0.9", False),
    ("last(metrics/acc) > 0.9", True),
    ("last(`metrics/loss`) > 0", False),  # last() of a field that is not a series
]

NUMBERS = [
    ("`params/lr`:float = 1e-3", True),
    ("`params/lr`:float = 1E-3", True),
    ("`params/lr`:float = 0.001", True),
    ("`params/lr`:float < .01", True),
    ("`params/lr`:float > 1.5e-3", False),
    ("`params/offset`:float = -2.5", True),
    ("`params/offset`:float > -3", True),
    ("`params/offset`:float < -2.6", False),
    ("`params/epochs`:int = +10", True),
    ("`params/epochs`:int = 10.0", True),  # int and float compare numerically
    ("`params/epochs`:int < 10.5", True),
    ("`params/epochs`:int > 9.99", True),
    ("params/epochs = 1e1", True),
    ("`metrics/loss`:float > 0", True),
    ('`metrics/loss`:float > "0.1"', True),  # quoting never changes a value
    ('`params/epochs`:int = "10"', True),
    ("`metrics/loss`:float < Infinity", True),
    ("`metrics/loss`:float > -Infinity", True),
    ("`metrics/loss`:float < inf", True),
    ("`params/epochs`:int < 123456789012345678901234567890", True),
    ("`sys/size`:float <= 50MB", True),
    ("`sys/size`:float > 3MiB", True),
    ("`sys/size`:float > 4MB", False),
    ("`sys/size`:float < 1GB", True),
    ("`metrics/loss`:float < " + "9" * 5000, True),  # longer than int() accepts
    ("`metrics/loss`:float > -" + "9" * 5000 + ".5", True),
]

NAN = [
    ("`metrics/nan`:float > 0", False),
    ("`metrics/nan`:float < 0", False),
    ("`metrics/nan`:float = 0", False),
    ("`metrics/nan`:float >= -Infinity", False),
    ("`metrics/nan`:float = NaN", False),
    ("`metrics/nan`:float != 0", True),
    ("`metrics/nan`:float != NaN", True),
    ("`metrics/loss`:float = NaN", False),
    ("`metrics/loss`:float != nan", True),
    ("`metrics/loss`:float < NaN", False),
    ("NOT `metrics/nan`:float > 0", True),
]

STRINGS = [
    ('`sys/name`:string = "resnet-baseline"', True),
    ('`sys/name`:string = "resnet"', False),
    ('`sys/name`:string != "resnet"', True),
    ('`sys/name`:string != "resnet-baseline"', False),
    ('`sys/name`:string < "s"', True),
    ('`sys/name`:string > "s"', False),
    ('`sys/name`:string >= "resnet-baseline"', True),
    ('`sys/name`:string <= "resnet"', False),
    ("`sys/name`:string = resnet-baseline", True),  # bare value
    ('`sys/name`:string CONTAINS "res"', True),
    ('`sys/name`:string CONTAINS "base"', True),
    ('`sys/name`:string CONTAINS "Res"', False),  # case-sensitive
    ('`sys/name`:string NOT CONTAINS "blobfish"', True),
    ('`sys/name`:string NOT CONTAINS "net"', False),
    ('`sys/name`:string MATCHES "^res.*line$"', True),
    ('`sys/name`:string MATCHES "net-b"', True),  # unanchored search
    ('`sys/name`:string MATCHES "^base"', False),
    ('`params/optimizer`:string MATCHES "Ada\\\\w+"', True),  # docs: escape the backslash
    ('`params/optimizer`:string MATCHES "Ada\\w+"', True),  # unknown escapes are kept
    ('`params/optimizer`:string NOT MATCHES "^SGD"', True),
    ('`params/optimizer`:string NOT MATCHES "W$"', False),
    ('`params/path`:string = "C:\\\\data\\\\\\"raw\\""', True),
    ('`params/path`:string CONTAINS "\\"raw\\""', True),
    ('`logs/stdout`:stringSeries CONTAINS "done"', True),
    ('`logs/stdout`:stringSeries = "epoch 10 done"', True),
    ('`logs/stdout`:stringSeries MATCHES "epoch \\\\d+"', True),
    ('last(`logs/stdout`:stringSeries) != "epoch 10 done"', False),
    ("`sys/name`:string = 123", False),
    ("`params/seed`:string = 42", True),  # the query's type says 42 is text
    ('`params/seed`:string = "42"', True),
    ('params/seed = "42"', True),
    ("params/seed = 42", False),  # no type: an unquoted number is a number
    ("params/seed = true", False),
    ('`data/train`:artifact = "a1b2c3"', True),
    ('`data/train`:artifact != "a1b2c3"', False),
]

BOOLS = [
    ("`params/use_bn`:bool = true", True),
    ("`params/use_bn`:bool = True", True),
    ("`params/use_bn`:bool = TRUE", True),
    ('`params/use_bn`:bool = "true"', True),
    ("`params/use_bn`:bool = false", False),
    ("`params/use_bn`:bool != false", True),
    ("`params/use_bn`:bool != true", False),
    ("`sys/failed`:bool = False", True),
    ("`sys/failed`:boolean = false", True),
]

DATETIMES = [
    ('`sys/creation_time`:datetime > "2026-01-01T00:00:00Z"', True),
    ('`sys/creation_time`:datetime < "2026-01-01T00:00:00Z"', False),
    ('`sys/creation_time`:datetime = "2026-03-14T10:00:00Z"', True),
    ('`sys/creation_time`:datetime = "2026-03-14T10:00:00.000Z"', True),
    ('`sys/creation_time`:datetime = "2026-03-14T10:00:00"', True),  # naive means UTC
    ('`sys/creation_time`:datetime = "2026-03-14 10:00"', True),
    ('`sys/creation_time`:datetime = "2026-03-14T11:00:00+01:00"', True),
    ('`sys/creation_time`:datetime = "2026-03-14T19:00:00+09"', True),
    ('`sys/creation_time`:datetime = "2026-03-14T05:30:00-0430"', True),
    ('`sys/creation_time`:datetime != "2026-03-14T10:00:00Z"', False),
    ('`sys/creation_time`:datetime >= "2026-03-14"', True),  # a date is its midnight, UTC
    ('`sys/creation_time`:datetime < "2026-03-15"', True),
    ('`sys/creation_time`:datetime <= "2026-03-14"', False),
    ('`sys/creation_time`:datetime > "2026-03-14T09:59:59.999999Z"', True),
    ('`sys/creation_time`:datetime > "2026-03-14T10:00:00.000001Z"', False),
    ("`sys/creation_time`:datetime > 2026-01-01", True),
    ("sys/creation_time:datetime > 2026-03-14T09:00:00Z", True),
]

RELATIVE_DATETIMES = [
    ('`sys/creation_time`:datetime > "-2d"', True),
    ('`sys/creation_time`:datetime > "-1d"', False),
    ('`sys/creation_time`:datetime < "-1d"', True),
    ('`sys/creation_time`:datetime > "-27h"', True),
    ('`sys/creation_time`:datetime > "-25h"', False),
    ('`sys/creation_time`:datetime > "-1d 3h"', True),
    ('`sys/creation_time`:datetime > "-1d1h"', False),
    ('`sys/creation_time`:datetime > "-1561m"', True),  # m is minutes
    ('`sys/creation_time`:datetime > "-1559m"', False),
    ('`sys/creation_time`:datetime > "-93601s"', True),
    ('`sys/creation_time`:datetime > "-3d"', True),
    ('`sys/creation_time`:datetime > "-1w"', True),
    ('`sys/creation_time`:datetime < "-1M"', False),  # M is a calendar month
    ('`sys/creation_time`:datetime > "-1M"', True),
    ('`sys/creation_time`:datetime > "-1y"', True),
    ('`sys/creation_time`:datetime < "+1h"', True),
    ("`sys/creation_time`:datetime > -2D", True),
    ('sys/creation_time > "-2h"', False),
]

STRING_SETS = [
    ('`sys/tags`:stringSet CONTAINS "best"', True),
    ('`sys/tags`:stringSet CONTAINS "worst"', False),
    ('`sys/tags`:stringSet CONTAINS "bes"', False),  # whole tags, not substrings
    ('`sys/tags`:stringSet CONTAINS "my tag"', True),
    ("`sys/tags`:stringSet CONTAINS best", True),
    ('`sys/tags`:stringSet NOT CONTAINS "worst"', True),
    ('`sys/tags`:stringSet NOT CONTAINS "best"', False),
    ('sys/tags CONTAINS "resnet"', True),
    ('sys/tags = "best"', False),  # untyped: = is not an operator of stringSet
]

RUN_STATES = [
    ('`sys/state`:experimentState = "inactive"', True),
    ('`sys/state`:experimentState = "idle"', True),
    ('`sys/state`:experimentState = "Inactive"', True),
    ("`sys/state`:experimentState = IDLE", True),
    ('`sys/state`:experimentState = "running"', False),
    ('`sys/state`:experimentState = "active"', False),
    ('`sys/state`:experimentState != "active"', True),
    ('`sys/state`:experimentState != "running"', True),
    ('`sys/state`:experimentState != "idle"', False),
    ('sys/state = "idle"', True),
]

EXISTS = [
    ("`metrics/acc`:floatSeries EXISTS", True),
    ("`metrics/acc`:float EXISTS", False),  # a type in the query must match
    ("`metrics/acc` EXISTS", True),
    ("metrics/acc EXISTS", True),
    ("`metrics/f1`:floatSeries EXISTS", False),
    ("`metrics/f1` EXISTS", False),
    ("`metrics/f1` NOT EXISTS", True),
    ("`metrics/acc`:floatSeries NOT EXISTS", False),
    ("NOT `metrics/acc`:float EXISTS", True),
    ("`model/weights`:file EXISTS", True),
    ("`data/files`:fileSet EXISTS", True),
    ("`monitoring/images`:fileSeries EXISTS", True),
    ("`source_code/git`:gitRef EXISTS", True),
    ("`source_code/notebook`:notebookRef EXISTS", True),
    ("`data/train`:artifact EXISTS", True),
    ("`sys/state`:experimentState EXISTS", True),
    ("`sys/tags`:stringSet EXISTS", True),
    ("`sys/creation_time`:datetime EXISTS", True),
    ("`params/use_bn`:bool EXISTS", True),
    ("`params/epochs`:int EXISTS", True),
    ("`params/epochs`:float EXISTS", False),
    ("last(`metrics/acc`:floatSeries) EXISTS", True),
]


@check(NUMERIC)
def test_numeric_comparisons(query: str, expected: bool) -> None:
    assert matches(query) is expected


@check(NUMBERS)
def test_number_literals(query: str, expected: bool) -> None:
    assert matches(query) is expected


@check(NAN)
def test_nan_only_satisfies_not_equal(query: str, expected: bool) -> None:
    assert matches(query) is expected


@check(STRINGS)
def test_string_comparisons(query: str, expected: bool) -> None:
    assert matches(query) is expected


@check(BOOLS)
def test_bool_comparisons(query: str, expected: bool) -> None:
    assert matches(query) is expected


@check(DATETIMES)
def test_datetime_comparisons(query: str, expected: bool) -> None:
    assert matches(query) is expected


@check(RELATIVE_DATETIMES)
def test_relative_datetimes_count_back_from_now(query: str, expected: bool) -> None:
    assert matches(query) is expected


def test_relative_datetimes_default_to_the_current_time() -> None:
    recent = {"sys/creation_time": (FieldType.DATETIME, datetime.now(UTC) - timedelta(minutes=30))}
    assert parse_query('`sys/creation_time`:datetime > "-1h"').matches(recent)
    assert not parse_query('`sys/creation_time`:datetime > "-10m"').matches(recent)


def test_relative_months_clamp_to_the_end_of_the_month() -> None:
    query = parse_query('`t`:datetime >= "-1M"')
    end_of_february = {"t": (FieldType.DATETIME, datetime(2026, 2, 28, tzinfo=UTC))}
    assert query.matches(end_of_february, now=datetime(2026, 3, 31, tzinfo=UTC))
    assert not query.matches(end_of_february, now=datetime(2026, 4, 1, tzinfo=UTC))


def test_naive_now_and_naive_stored_datetimes_are_utc() -> None:
    naive = {"t": (FieldType.DATETIME, datetime(2026, 3, 14, 10, 0))}
    assert parse_query('`t`:datetime = "2026-03-14T10:00:00Z"').matches(naive)
    assert parse_query('`t`:datetime > "-1d"').matches(naive, now=datetime(2026, 3, 15, 9, 0))


@check(STRING_SETS)
def test_string_set_contains(query: str, expected: bool) -> None:
    assert matches(query) is expected


@check(RUN_STATES)
def test_run_state_aliases(query: str, expected: bool) -> None:
    assert matches(query) is expected


@pytest.mark.parametrize("stored", ["running", "Active", "active"])
@pytest.mark.parametrize("written", ['"running"', '"active"', "RUNNING", "Active"])
def test_running_and_active_are_the_same_state(stored: str, written: str) -> None:
    fields = {"sys/state": (FieldType.RUN_STATE, stored)}
    assert matches(f"`sys/state`:experimentState = {written}", fields)
    assert not matches(f"`sys/state`:experimentState != {written}", fields)
    assert not matches('`sys/state`:experimentState = "idle"', fields)


@check(EXISTS)
def test_exists(query: str, expected: bool) -> None:
    assert matches(query) is expected


# --- boolean structure --------------------------------------------------------------------

T = "`params/use_bn`:bool = true"  # true on RUN
F = "`sys/failed`:bool = true"  # false on RUN

LOGIC = [
    (f"{T} AND {T}", True),
    (f"{T} AND {F}", False),
    (f"{F} AND {T}", False),
    (f"{T} OR {F}", True),
    (f"{F} OR {F}", False),
    (f"NOT {T}", False),
    (f"NOT {F}", True),
    (f"NOT NOT {T}", True),
    # AND binds tighter than OR: T OR (T AND F), not (T OR T) AND F.
    (f"{T} OR {T} AND {F}", True),
    (f"{F} AND {T} OR {T}", True),
    (f"({T} OR {T}) AND {F}", False),
    (f"{F} AND ({T} OR {T})", False),
    # NOT binds tighter than AND: (NOT F) AND T, not NOT (F AND T).
    (f"NOT {F} AND {T}", True),
    (f"NOT {T} AND {F}", False),
    (f"NOT ({T} AND {F})", True),
    (f"NOT {T} OR {T}", True),
    (f"NOT ({T} OR {T})", False),
    (f"(({T}))", True),
    (f"((({F}) OR ({T})) AND NOT ({F}))", True),
    (f"{F} OR {F} OR {F} OR {T}", True),
    (f"{T} AND {T} AND {T} AND {F}", False),
    (f"({T})AND({T})", True),
    (f"{T}\n  AND\n  {T}", True),
]


@check(LOGIC)
def test_and_or_not_and_precedence(query: str, expected: bool) -> None:
    assert matches(query) is expected


KEYWORD_CASES = [
    (f"{T} and {T}", True),
    (f"{T} And {F}", False),
    (f"{F} or {T}", True),
    (f"not {T}", False),
    (f"nOt ({F})", True),
    ('`sys/tags`:stringSet contains "best"', True),
    ('`sys/name`:string not contains "best"', True),
    ('`sys/name`:string matches "^res"', True),
    ('`sys/name`:string Not Matches "^res"', False),
    ("`metrics/acc`:floatSeries exists", True),
    ("`metrics/f1` not exists", True),
    ("Last(`metrics/acc`:floatSeries) > 0.5", True),
    ("`metrics/acc`:FLOATSERIES > 0.5", True),
]


@check(KEYWORD_CASES)
def test_keywords_are_case_insensitive(query: str, expected: bool) -> None:
    assert matches(query) is expected


def test_a_field_path_that_starts_like_a_keyword_is_a_path() -> None:
    fields = {"notes/android": (FieldType.STRING, "x"), "order": (FieldType.INT, 1)}
    assert matches('notes/android = "x" AND order = 1', fields)
    assert matches("`AND` NOT EXISTS", fields)


# --- bare paths and untyped fields --------------------------------------------------------

BARE = [
    ('sys/name = "resnet-baseline"', True),
    ("sys/name=resnet-baseline", True),
    ("metrics/acc > 0.5", True),  # floatSeries, compared by its last value
    ("metrics/acc>0.95", False),
    ("params/epochs >= 10", True),
    ("params/epochs = 10.0", True),
    ('params/optimizer != "SGD"', True),
    ("params/use_bn = true", True),
    ('sys/creation_time > "-3d"', True),
    ("sys/creation_time:datetime > 2026-01-01", True),
    ("(sys/failed:bool = False) AND (params/use_bn:bool = True)", True),
    ("accuracy: float > 0.88", False),  # missing field
    ("metrics/loss : float < 0.2", True),
    ("`metrics/loss` < 0.2", True),
    ('sys/name CONTAINS "baseline"', True),
    ('logs/stdout MATCHES "^epoch"', True),
]


@check(BARE)
def test_bare_paths_and_untyped_fields(query: str, expected: bool) -> None:
    assert matches(query) is expected


def test_backquoted_paths_may_hold_any_character() -> None:
    fields = {"eval/val loss (x:y)": (FieldType.FLOAT, 0.3)}
    assert matches("`eval/val loss (x:y)`:float < 0.39", fields)
    assert matches("`eval/val loss (x:y)` < 0.39", fields)


MISSING = [
    ("`metrics/f1`:float > 0.5", False),
    ("`metrics/f1`:float < 0.5", False),
    ("`metrics/f1`:float = 0.5", False),
    ("`metrics/f1`:float != 0.5", False),
    ('`sys/description`:string CONTAINS "x"', False),
    ('`sys/description`:string MATCHES "."', False),
    ('`sys/description`:string NOT CONTAINS "x"', True),  # the negation of CONTAINS
    ('`other/tags`:stringSet CONTAINS "best"', False),
    ("NOT `metrics/f1`:float > 0.5", True),
    ("metrics/f1 > 0.5 OR metrics/acc > 0.5", True),
    ("metrics/f1 > 0.5 AND metrics/acc > 0.5", False),
]


@check(MISSING)
def test_missing_fields_make_comparisons_false(query: str, expected: bool) -> None:
    assert matches(query) is expected


MISMATCHED = [
    ("`metrics/acc`:float > 0.5", False),  # the field is a floatSeries
    ("`params/epochs`:float = 10", False),  # the field is an int
    ("`metrics/loss`:int < 1", False),
    ("`sys/name`:stringSeries = resnet-baseline", False),
    ("sys/name > 5", False),
    ("sys/name = 5", False),
    ('params/epochs = "ten"', False),
    ('params/epochs CONTAINS "1"', False),
    ("params/use_bn = 1", False),
    ("params/use_bn > 0", False),
    ('sys/creation_time = "yesterday"', False),
    ("sys/creation_time > 5", False),
    ('sys/state = "paused"', False),
    ('sys/state CONTAINS "in"', False),
    ("sys/tags > 1", False),
    ("sys/tags CONTAINS 1", False),
    ('sys/tags MATCHES "best"', False),
    ("model/weights = 1", False),
    ('source_code/git CONTAINS "main"', False),
    ("last(sys/name) = resnet-baseline", False),
    ("sys/name != 5", False),  # != is a comparison too: false on a mismatch
]


@check(MISMATCHED)
def test_type_mismatches_are_false(query: str, expected: bool) -> None:
    assert matches(query) is expected


MALFORMED_FIELDS: dict[str, Any] = {
    "a": (FieldType.FLOAT, "not a number"),
    "b": (FieldType.FLOAT, True),
    "c": (FieldType.STRING_SET, None),
    "d": (FieldType.STRING_SET, "best"),
    "e": ("noSuchType", 1),
    "f": None,
    "g": 42,
    "h": (FieldType.DATETIME, "2026-01-01"),
    "i": (FieldType.BOOL, "true"),
    "j": (FieldType.STRING, None),
    "k": (FieldType.RUN_STATE, 3),
    "l": (FieldType.STRING_SET, [["unhashable"], "best"]),
    "m": (FieldType.DATETIME, date(2026, 1, 1)),
    "n": ("float", 2.0),
    "o": (FieldType.FLOAT, 10**400),
}


@pytest.mark.parametrize("path", sorted(MALFORMED_FIELDS))
@pytest.mark.parametrize(
    "condition",
    [
        "= 1",
        "!= 1",
        "> 1",
        '< "-100y"',
        '= "2026-01-01"',
        'CONTAINS "best"',
        'MATCHES "."',
        "= true",
        "= running",
        "EXISTS",
        "NOT EXISTS",
        "= Infinity",
    ],
)
def test_matching_never_raises_on_odd_data(path: str, condition: str) -> None:
    assert isinstance(matches(f"`{path}` {condition}", MALFORMED_FIELDS), bool)


ODD_DATA = [
    ("`b` = 1", False),  # a bool is not a number
    ('`d` CONTAINS "best"', False),  # a str is not a string set
    ('`l` CONTAINS "best"', True),
    ('`m` = "2026-01-01"', True),  # a plain date counts as its midnight, UTC
    ("`n`:float = 2", True),  # the type may be given as its name
    ("`o` > 1e308", True),
    ("`e` EXISTS", False),  # an unknown stored type is as good as missing
]


@check(ODD_DATA)
def test_odd_data(query: str, expected: bool) -> None:
    assert matches(query, MALFORMED_FIELDS) is expected


def test_relative_times_out_of_range_are_false() -> None:
    assert not matches('`sys/creation_time`:datetime > "-99999y"')


# --- the Query object ---------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_an_empty_query_matches_everything(text: str) -> None:
    query = parse_query(text)
    assert isinstance(query, Query)
    assert query.matches({})
    assert query.matches(RUN)
    assert query.paths() == set()


PATHS = [
    ("`metrics/acc`:floatSeries > 0.9", {"metrics/acc"}),
    (
        '(`sys/tags`:stringSet CONTAINS "a") AND NOT (b = 1 OR last(`c d`) < 2)',
        {"sys/tags", "b", "c d"},
    ),
    ("x EXISTS OR x = 1 OR y NOT MATCHES z", {"x", "y"}),
]


@pytest.mark.parametrize(("query", "paths"), PATHS, ids=[q for q, _ in PATHS])
def test_paths_lists_the_fields_the_query_reads(query: str, paths: set[str]) -> None:
    assert parse_query(query).paths() == paths


def test_query_keeps_its_text() -> None:
    query = parse_query("a = 1")
    assert query.text == "a = 1"
    assert repr(query) == "parse_query('a = 1')"


def test_the_example_in_error_messages_is_valid() -> None:
    assert parse_query(EXAMPLE_QUERY).paths() == {"sys/tags", "metrics/acc"}
    assert matches(EXAMPLE_QUERY)


#: (query, the paths it reads, whether RUN matches it)
DOCUMENTED = [
    ('(`sys/tags`:stringSet CONTAINS "some-tag") AND (`f1`:float >= 0.85)',
     {"sys/tags", "f1"}, False),
    ("(last(`accuracy`:floatSeries) > 0.88) AND (`learning_rate`:float < 0.01)",
     {"accuracy", "learning_rate"}, False),
    ('`sys/description`:string = "test on new data"', {"sys/description"}, False),
    ('`sys/name`:string NOT CONTAINS "blobfish"', {"sys/name"}, True),
    ('NOT `sys/name`:string CONTAINS "blobfish"', {"sys/name"}, True),
    ("NOT (`sys/name`:string CONTAINS blobfish AND `sys/failed`:bool = True)",
     {"sys/name", "sys/failed"}, True),
    ("(`model_info/size_MB`:float <= 50MB) AND (last(`test/acc`:floatSeries) > 0.90)",
     {"model_info/size_MB", "test/acc"}, False),
    ('(`sys/owner`:string = "jackie") AND (`sys/tags`:stringSet CONTAINS "exploration")',
     {"sys/owner", "sys/tags"}, False),
    ('(sys/creation_time:datetime > "2024-01-01T00:00:00Z") AND (sys/failed:bool = True)',
     {"sys/creation_time", "sys/failed"}, False),
    ('`parameters/optimizer`:string MATCHES "Ada\\\\w+"', {"parameters/optimizer"}, False),
    ('`sys/ping_time`:datetime > "2024-02-06T05:00:00+09"', {"sys/ping_time"}, False),
    ('`sys/creation_time`:datetime < "-3M"', {"sys/creation_time"}, False),
    ('`sys/state`:experimentState = "inactive"', {"sys/state"}, True),
    ('(`sys/id`:string = "NLI-35") OR (`sys/id`:string = "NLI-36")', {"sys/id"}, False),
    ("(accuracy: float > 0.88) AND (loss: float < 0.2)", {"accuracy", "loss"}, False),
    ("(backbone: string = VGG)", {"backbone"}, False),
    ('(`sys/trashed`:bool = false) AND (`sys/state`:experimentState = "running")',
     {"sys/trashed", "sys/state"}, False),
    ('`sys/creation_time`:datetime > "2026-03-14T10:00:00.123456+00:00"',
     {"sys/creation_time"}, False),
    ('`x`:float == "0.5" AND NOT (`y`:string NOT MATCHES "a\\"b")', {"x", "y"}, False),
]  # fmt: skip


@pytest.mark.parametrize(("query", "paths", "matched"), DOCUMENTED)
def test_queries_from_the_neptune_docs_and_clients_parse(
    query: str, paths: set[str], matched: bool
) -> None:
    parsed = parse_query(query)
    assert parsed.paths() == paths
    assert parsed.matches(RUN, now=NOW) is matched


# --- syntax errors ------------------------------------------------------------------------

ERRORS = [
    # (query, words in the reason, caret position)
    ("`metrics/acc:float > 0.5", "unclosed backtick", 0),
    ('a = 1 AND `sys/name`:string = "x', "unclosed string", 30),
    ('`sys/name`:string = "x\\"', "unclosed string", 20),
    ("`metrics/acc`:flaot > 0.5", "unknown field type 'flaot'", 14),
    ("metrics/acc:Float64 > 0.5", "unknown field type 'Float64'", 12),
    ("`metrics/acc`: > 0.5", "expected a field type after ':'", 15),
    ("`metrics/acc`:float > 0.5 AND", "expected a condition after AND", 29),
    ("`metrics/acc`:float > 0.5 AND   ", "expected a condition after AND", 32),
    ("a = 1 OR", "expected a condition after OR", 8),
    ("a = 1 AND OR b = 2", "found the keyword OR", 10),
    ("AND a = 1", "found the keyword AND", 0),
    ("NOT", "expected a condition after NOT", 3),
    ("(a = 1", "this '(' is never closed", 0),
    ("((a = 1) OR (b = 2)", "this '(' is never closed", 0),
    ("a = 1)", "this ')' has no matching '('", 5),
    ("(a = 1))", "this ')' has no matching '('", 7),
    ("()", "expected a condition after '(', found ')'", 1),
    (")", "expected a condition, found ')'", 0),
    ("(a = 1 b = 2)", "expected AND, OR or ')'", 7),
    ("`metrics/acc`:float LIKE 0.5", "unknown operator 'LIKE'", 20),
    ("`metrics/acc`:float =~ 0.5", "unknown operator '=~'", 20),
    ("`metrics/acc`:float <> 0.5", "unknown operator '<>'", 20),
    ("`metrics/acc`:float ! 0.5", "unknown operator '!'", 20),
    (
        "a 5",
        "expected an operator (=, !=, <, <=, >, >=, CONTAINS, MATCHES, EXISTS) after the field 'a', found '5'",
        2,
    ),
    ("a AND b = 1", "expected an operator", 2),
    ("`metrics/acc`:float", "expected an operator", 19),
    ("a NOT LIKE 1", "expected CONTAINS, MATCHES or EXISTS after NOT", 6),
    ("a >", "expected a value after '>'", 3),
    ("a CONTAINS", "expected a value after CONTAINS", 10),
    ("a = AND b = 1", "found the keyword AND", 4),
    ("a = (1)", "expected a value after '='", 4),
    ("a = 1 b = 2", "expected AND, OR or the end of the query, found 'b'", 6),
    ('a = "x" "y"', "expected AND, OR or the end of the query", 8),
    ("``:float > 1", "empty field path", 0),
    ("= 1", "expected a condition, found '='", 0),
    ('a MATCHES "(unclosed"', "invalid regular expression", 10),
    ("`a`:float > abc", "'abc' is not a valid float value", 12),
    ('`a`:int = "ten"', "'ten' is not a valid int value", 10),
    ("`a`:floatSeries < 1.2.3", "not a valid floatSeries value", 18),
    ("`a`:float < \u0661\u0662", "not a valid float value", 12),  # Arabic-Indic digits
    ("`a`:bool = yes", "'yes' is not a valid bool value", 11),
    ('`a`:datetime > "yesterday"', "not a valid datetime value", 15),
    ('`a`:datetime > "2026-13-01"', "not a valid datetime value", 15),
    ('`a`:datetime > "-2x"', "not a valid datetime value", 15),
    ('`a`:experimentState = "paused"', "not a valid experimentState value", 22),
    ('`a`:stringSet = "x"', "operator = cannot be used on a stringSet field", 14),
    ('`a`:float CONTAINS "x"', "operator CONTAINS cannot be used on a float field", 10),
    ('`a`:bool > "x"', "operator > cannot be used on a bool field", 9),
    ('`a`:stringSet MATCHES "x"', "operator MATCHES cannot be used", 14),
    ("`a`:file = x", "a file field can only be tested with EXISTS", 9),
    ("`a`:gitRef != x", "a gitRef field can only be tested with EXISTS", 11),
    ("average(`a`:floatSeries) > 1", "average() is not supported", 0),
    ("x = 1 AND min(`a`:floatSeries) > 1", "min() is not supported", 10),
    ("foo(`a`) > 1", "unknown function 'foo'", 0),
    ("last(`a`:float) > 1", "last() applies to series fields", 0),
    ("last(`a`:floatSeries > 1", "expected ')' to close last(", 21),
]


@pytest.mark.parametrize(("query", "reason", "position"), ERRORS, ids=[q for q, _, _ in ERRORS])
def test_syntax_errors_point_at_the_problem(query: str, reason: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    error = caught.value
    message = str(error)
    assert reason in error.reason
    assert error.position == position
    assert error.query == query
    assert message.startswith(f"Invalid NQL query (column {position + 1}): {error.reason}\n")
    assert f"\n  {query}\n  {' ' * position}^\n" in message
    assert message.endswith(f"Example of a valid query: {EXAMPLE_QUERY}")


@pytest.mark.parametrize(
    "query", ["(" * 101 + "a = 1" + ")" * 101, "NOT " * 101 + "a = 1", "(NOT " * 60 + "a = 1"]
)
def test_absurdly_deep_nesting_is_a_syntax_error(query: str) -> None:
    with pytest.raises(QuerySyntaxError, match="more than 100 deep"):
        parse_query(query)


@pytest.mark.parametrize("depth", [1, 50, 100])
def test_deep_nesting_up_to_the_limit_works(depth: int) -> None:
    assert matches("(" * depth + T + ")" * depth)
    assert matches("NOT " * depth + T) is (depth % 2 == 0)


def test_syntax_errors_are_value_errors_and_nepnb_errors() -> None:
    with pytest.raises(ValueError, match="unknown field type"):
        parse_query("`a`:nope EXISTS")
    with pytest.raises(NepnbError):
        parse_query("a =")


def test_errors_in_multi_line_queries_show_the_faulty_line() -> None:
    query = '(`a`:float > 1)\nAND\n\t(`b`:strin = "x")'
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    message = str(caught.value)
    assert "(line 3, column 7): unknown field type 'strin'" in message
    assert '\n  \t(`b`:strin = "x")\n  \t     ^\n' in message


# --- properties ---------------------------------------------------------------------------

# Conditions over RUN_FIELDS whose truth is known, and the Python predicate each one means.
ATOMS: list[tuple[str, Any]] = [
    ("`x`:float > 0.5", lambda f: f["x"] > 0.5),
    ("x <= -1e1", lambda f: f["x"] <= -10),
    ("`n`:int != 3", lambda f: f["n"] != 3),
    ("n >= 2", lambda f: f["n"] >= 2),
    ('`s`:string CONTAINS "ab"', lambda f: "ab" in f["s"]),
    ('s MATCHES "^b"', lambda f: f["s"].startswith("b")),
    ("`flag`:bool = true", lambda f: f["flag"]),
    ('`tags`:stringSet CONTAINS "t1"', lambda f: "t1" in f["tags"]),
    ('`tags`:stringSet NOT CONTAINS "t2"', lambda f: "t2" not in f["tags"]),
    ('`when`:datetime > "-1d"', lambda f: f["when"] > NOW - timedelta(days=1)),
    ('`state`:experimentState = "active"', lambda f: f["state"] == "running"),
    ("`x`:float EXISTS", lambda f: True),
    ("`missing`:float NOT EXISTS", lambda f: True),
    ("`missing` > 0", lambda f: False),
]

run_data = st.fixed_dictionaries(
    {
        "x": st.floats(-20, 20, allow_nan=False),
        "n": st.integers(-5, 5),
        "s": st.text(alphabet="abc", max_size=5),
        "flag": st.booleans(),
        "tags": st.sets(st.sampled_from(["t1", "t2", "t3"])),
        "when": st.integers(0, 72).map(lambda hours: NOW - timedelta(hours=hours)),
        "state": st.sampled_from(["running", "inactive"]),
    }
)


def as_fields(data: dict[str, Any]) -> dict[str, FieldValue]:
    return {
        "x": (FieldType.FLOAT, data["x"]),
        "n": (FieldType.INT, data["n"]),
        "s": (FieldType.STRING, data["s"]),
        "flag": (FieldType.BOOL, data["flag"]),
        "tags": (FieldType.STRING_SET, data["tags"]),
        "when": (FieldType.DATETIME, data["when"]),
        "state": (FieldType.RUN_STATE, data["state"]),
    }


# A tree is ("atom", i) | ("not", tree) | ("and" | "or", [tree, ...]).
trees = st.recursive(
    st.tuples(st.just("atom"), st.integers(0, len(ATOMS) - 1)),
    lambda children: st.one_of(
        st.tuples(st.just("not"), children),
        st.tuples(st.sampled_from(["and", "or"]), st.lists(children, min_size=2, max_size=3)),
    ),
    max_leaves=8,
)

PRECEDENCE = {"or": 1, "and": 2, "not": 3, "atom": 4}


def render(tree: Any, parent: int, keyword_case: Any) -> str:
    """Write a tree with only the parentheses that precedence makes necessary."""
    kind = tree[0]
    if kind == "atom":
        text = ATOMS[tree[1]][0]
    elif kind == "not":
        text = f"{keyword_case('NOT')} {render(tree[1], PRECEDENCE['not'], keyword_case)}"
    else:
        joiner = f" {keyword_case(kind.upper())} "
        text = joiner.join(render(child, PRECEDENCE[kind] + 1, keyword_case) for child in tree[1])
    return f"({text})" if PRECEDENCE[kind] < parent else text


def truth(tree: Any, data: dict[str, Any]) -> bool:
    kind = tree[0]
    if kind == "atom":
        return bool(ATOMS[tree[1]][1](data))
    if kind == "not":
        return not truth(tree[1], data)
    results = [truth(child, data) for child in tree[1]]
    return all(results) if kind == "and" else any(results)


keyword_cases = st.sampled_from([str.upper, str.lower, str.title])


@settings(max_examples=300, deadline=None)
@given(tree=trees, data=run_data, keyword_case=keyword_cases)
def test_queries_mean_what_their_precedence_says(tree: Any, data: dict, keyword_case: Any) -> None:
    query = render(tree, 0, keyword_case)
    assert parse_query(query).matches(as_fields(data), now=NOW) is truth(tree, data), query


@settings(max_examples=300, deadline=None)
@given(tree=trees, data=run_data)
def test_not_q_matches_exactly_when_q_does_not(tree: Any, data: dict) -> None:
    query = render(tree, 0, str.upper)
    fields = as_fields(data)
    assert parse_query(f"NOT ({query})").matches(fields, now=NOW) is not parse_query(query).matches(
        fields, now=NOW
    )


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40))
def test_parsing_arbitrary_text_raises_only_query_syntax_errors(text: str) -> None:
    try:
        query = parse_query(text)
    except QuerySyntaxError as error:
        assert 0 <= error.position <= len(text)
    else:
        assert isinstance(query.matches(RUN, now=NOW), bool)


@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=20))
def test_any_string_round_trips_through_quoting(value: str) -> None:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    fields = {"s": (FieldType.STRING, value)}
    assert parse_query(f'`s`:string = "{escaped}"').matches(fields)
