"""``stringify_unsupported`` and ``StringifyValue``, checked against the Neptune client's outputs.

The expected values were written by hand from ``neptune.utils.stringify_unsupported`` and
``neptune.internal.types.stringify_value`` of neptune 1.14.0.post2.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from datetime import datetime
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest

from nepnb.types import File, StringifyValue, stringify_unsupported
from nepnb.types.stringify import MAX_32_BIT_INT, MIN_32_BIT_INT, extract_if_stringify_value

S = StringifyValue


def test_flat_dict_wraps_every_value_and_stringifies_keys() -> None:
    when = datetime(2024, 5, 1, 12, 30)
    file = File("a.png")
    result = stringify_unsupported(
        {"lr": 0.1, "epochs": 10, "name": "x", "ok": True, "none": None, 5: "five"}
        | {"when": when, "file": file, "shape": (3, 4)}
    )
    assert result == {
        "lr": S(0.1),
        "epochs": S(10),
        "name": S("x"),
        "ok": S(True),
        "none": S(None),
        "5": S("five"),
        "when": S(when),
        "file": S(file),
        "shape": S((3, 4)),
    }
    assert all(type(value) is StringifyValue for value in result.values())


def test_the_reference_example() -> None:
    # neptune's docstring: {"tuple": ("hi", 1), "metric": 0.87}
    complex_dict = {"tuple": ("hi", 1), "metric": 0.87}
    assert stringify_unsupported(complex_dict) == {"tuple": S(("hi", 1)), "metric": S(0.87)}
    assert stringify_unsupported(complex_dict, expand=True) == {
        "tuple": {"0": S("hi"), "1": S(1)},
        "metric": S(0.87),
    }


def test_nested_dicts_recurse_collections_do_not() -> None:
    value = {
        "a": 1,
        "b": (1, "x"),
        "c": {"d": [1.5, {"e": 2}], 5: None},
        "big": 2**40,
        "inf": float("inf"),
    }
    result = stringify_unsupported(value)
    assert result == {
        "a": S(1),
        "b": S((1, "x")),
        "c": {"d": S([1.5, {"e": 2}]), "5": S(None)},
        "big": S(1099511627776.0),
        "inf": S("inf"),
    }
    assert result["big"].value == 1099511627776.0 and type(result["big"].value) is float
    assert result["inf"].value == "inf"
    assert result["c"]["d"].value == [1.5, {"e": 2}]  # the list itself, not converted


def test_expand_enumerates_lists_tuples_and_sets_recursively() -> None:
    value = {"t": ({"x": 1}, [2, (3,)]), "s": {7}, "n": 4}
    assert stringify_unsupported(value, expand=True) == {
        "t": {"0": {"x": S(1)}, "1": {"0": S(2), "1": {"0": S(3)}}},
        "s": {"0": S(7)},
        "n": S(4),
    }
    assert stringify_unsupported([1, {"a": 2}], expand=True) == {"0": S(1), "1": {"a": S(2)}}
    assert stringify_unsupported([], expand=True) == {}


def test_expand_leaves_other_iterables_whole() -> None:
    array = np.array([1, 2])
    result = stringify_unsupported({"r": range(2), "a": array, "f": frozenset({1})}, expand=True)
    assert result["r"] == S(range(2))
    assert result["a"].value is array
    assert result["f"] == S(frozenset({1}))


def test_top_level_values() -> None:
    assert stringify_unsupported(3) == S(3)
    assert stringify_unsupported([1, 2]) == S([1, 2])
    assert stringify_unsupported((1, 2)) == S((1, 2))
    assert stringify_unsupported({}) == {}


def test_only_mutable_mappings_recurse() -> None:
    proxy = MappingProxyType({"a": 1})
    assert stringify_unsupported(proxy) == S(proxy)
    assert stringify_unsupported(OrderedDict(a=(1,))) == {"a": S((1,))}


def test_a_stringify_value_is_not_wrapped_twice() -> None:
    marked = S((1, 2))
    assert stringify_unsupported(marked) is marked
    assert stringify_unsupported({"k": marked})["k"] is marked


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        (MAX_32_BIT_INT, 2147483647),
        (MIN_32_BIT_INT, -2147483648),
        (MAX_32_BIT_INT + 1, 2147483648.0),
        (MIN_32_BIT_INT - 1, -2147483649.0),
        (True, True),
        (float("nan"), "nan"),
        (float("inf"), "inf"),
        (float("-inf"), "-inf"),
        (np.float64("nan"), "nan"),
        (0.5, 0.5),
        ("text", "text"),
        (None, None),
        (10**400, "1" + "0" * 400),  # too large even for a float: the Neptune client fails here
    ],
)
def test_value_conversions(given: Any, kept: Any) -> None:
    value = S(given).value
    assert value == kept
    assert type(value) is type(kept)


def test_numpy_integers_are_kept_as_they_are() -> None:
    big = np.int64(2**40)
    assert S(big).value is big  # not an int: the Neptune client leaves it alone too


def test_str_and_repr_are_the_value_s() -> None:
    assert str(S((1, "x"))) == "(1, 'x')"
    assert repr(S("x")) == "'x'"
    assert repr(stringify_unsupported({"a": (1,), "b": "t"})) == "{'a': (1,), 'b': 't'}"
    assert str(S(float("nan"))) == "nan"


def test_equality_and_hashing() -> None:
    assert S(1) == S(1)
    assert S(1) != S(1.0)  # different types give different fields
    assert S(True) != S(1)
    assert S(1) != 1
    assert S([1, 2]) == S([1, 2])
    assert len({S(1), S(1), S((1,)), S([1]), S([1])}) == 3
    assert S(math.nan) == S(math.nan)  # both "nan"


def test_extract_if_stringify_value() -> None:
    assert extract_if_stringify_value(S((1, 2))) == (1, 2)
    assert extract_if_stringify_value((1, 2)) == (1, 2)
