"""``neptune.integrations.utils``: the helpers Neptune's integration packages import."""

from __future__ import annotations

from typing import Any

from nepnb.client.handler import Handler
from nepnb.client.run import Run
from nepnb.internal.utils import verify_type
from nepnb.internal.utils.paths import join_paths

__all__ = ["RunType", "expect_not_an_experiment", "join_paths", "verify_type"]

#: What an integration logs to: a run, or a namespace of one (``run["train"]``).
RunType = Run | Handler


def expect_not_an_experiment(run: Any) -> None:
    """Neptune refused its legacy ``Experiment`` objects here; nepnb has none, so every
    object passes."""
