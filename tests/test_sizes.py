"""One way to show a size, in the CLI and the runs panel alike."""

from __future__ import annotations

import pytest

from nepnb.sizes import human_size


@pytest.mark.parametrize(
    ("size", "words"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1_000, "1.0 kB"),
        (2_048, "2.0 kB"),
        (1_500_000, "1.5 MB"),
        (999_999, "1.0 MB"),  # not "1000.0 kB"
        (3 * 10**9, "3.0 GB"),
        (10**18, "1000.0 PB"),
    ],
)
def test_a_size_is_shown_in_decimal_units(size: int, words: str) -> None:
    assert human_size(size) == words


def test_the_cli_and_the_runs_panel_use_the_same_words() -> None:
    from nepnb.jupyter.runs import cell_value
    from nepnb.store.base import FieldInfo
    from nepnb.store.field_types import FieldType

    ref = {"digest": "0" * 64, "size": 2_048, "extension": "pt"}
    shown = cell_value(FieldInfo("model/weights", FieldType.FILE, ref))
    assert shown == f"weights.pt ({human_size(2_048)})"
