"""Helpers users import from ``neptune.utils``."""

from __future__ import annotations

from nepnb.types.stringify import StringifyValue, stringify_unsupported

__all__ = ["StringifyValue", "stringify_unsupported"]
