"""The exceptions and warnings of nepnb.

Every error a user can cause says what went wrong and how to fix it.

    NepnbError                    base of everything nepnb raises on purpose
    NepnbWarning                  base of every warning nepnb emits
"""

from __future__ import annotations

__all__ = ["NepnbError", "NepnbWarning"]


class NepnbError(Exception):
    """Base class of the errors raised by nepnb."""


class NepnbWarning(UserWarning):
    """Base class of the warnings emitted by nepnb."""
