"""Operations: the writes a client sends to a store, grouped in batches.

A batch is the one write primitive of every store. Operations are plain, picklable data
so that the async and offline queues can keep them on disk unchanged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from nepnb.store.field_types import FieldType


class OpKind(str, Enum):
    """What an operation does to the field at its path."""

    ASSIGN = "assign"  # set an atom (float, int, bool, string, datetime, file, gitRef …)
    LOG = "log"  # append points to a series
    CLEAR = "clear"  # empty a series or a string set, keeping its type
    CONFIGURE = "configure"  # min/max/unit of a float series
    SET_ADD = "set_add"  # add strings to a string set
    SET_REMOVE = "set_remove"  # remove strings from a string set
    FILES_UPLOAD = "files_upload"  # add files to a file set
    FILES_DELETE = "files_delete"  # delete files (glob patterns) from a file set
    DELETE = "delete"  # delete the field, or every field under a namespace


@dataclass(slots=True)
class SeriesPoints:
    """Points appended to a series: steps and timestamps (epoch seconds) as float64 arrays.

    ``values`` is a float64 array for float series, a list of str for string series and a
    list of file references (dicts) for file series.
    """

    steps: np.ndarray
    values: Any
    timestamps: np.ndarray

    def __len__(self) -> int:
        return len(self.steps)


@dataclass(slots=True)
class Operation:
    """One write: ``kind`` at ``path`` for a field of ``type``, with its ``value``."""

    kind: OpKind
    path: str
    type: FieldType | None = None
    value: Any = None


@dataclass(slots=True)
class Batch:
    """Operations applied in order; ``batch_id`` makes applying it twice a no-op."""

    operations: list[Operation]
    batch_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __len__(self) -> int:
        return len(self.operations)
