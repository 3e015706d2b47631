"""Typed numpy helpers shared by the demo's generator modules."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]


def as_ints(values: Any) -> IntArray:
    """Convert ``values`` to an int64 array (numpy's choice and where type theirs loosely)."""
    out: IntArray = np.asarray(values, dtype=np.int64)
    return out


def normalise(values: list[float] | tuple[float, ...]) -> FloatArray:
    """Scale weights to probabilities that sum to 1, for ``Generator.choice(p=...)``."""
    arr = np.asarray(values, dtype=np.float64)
    out: FloatArray = arr / arr.sum()
    return out
