"""A fixed held-out part of any dimension-labels file, by a stable hash of ``message_id``.

A message is held out when ``sha256(salt + ":" + message_id)`` read as a fraction of 2**64
is below ``fraction``. The decision depends on the id alone, so a message keeps its side
when the labels file grows (the 325 first labels and the ~1,065 adjudicated ones share
their held-out messages), and it never depends on row order or on the other ids.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from govperf_ml.contracts import DIMENSIONS_COL, MESSAGE_ID, DataContractError, split_labels

HELDOUT_FRACTION = 0.3
SALT = "govperf-dimensions-v1"


def hash_fraction(message_id, *, salt: str = SALT) -> float:
    """A number in [0, 1) fixed by the id (and the salt)."""
    digest = hashlib.sha256(f"{salt}:{message_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def heldout_mask(ids, *, fraction: float = HELDOUT_FRACTION, salt: str = SALT) -> np.ndarray:
    """True for the ids in the held-out part."""
    if not 0.0 < fraction < 1.0:
        raise DataContractError(f"held-out fraction must lie in (0, 1), got {fraction}", field="fraction")
    return np.array([hash_fraction(str(i).strip(), salt=salt) < fraction for i in ids], dtype=bool)


def read_dimension_labels(path, *, dimensions=None) -> pd.DataFrame:
    """``message_id,dimensions`` from a CSV; ``dimensions`` becomes a list per message.

    Unknown dimension ids (when ``dimensions`` is given), a missing column, empty or
    duplicated ids are a :class:`DataContractError` naming the field.
    """
    df = pd.read_csv(path, dtype=str).fillna("")
    for col in (MESSAGE_ID, DIMENSIONS_COL):
        if col not in df.columns:
            raise DataContractError(f"dimension labels {path}: no column {col!r} (have {list(df.columns)})", field=col)
    df[MESSAGE_ID] = df[MESSAGE_ID].str.strip()
    if (df[MESSAGE_ID] == "").any():
        raise DataContractError(f"dimension labels {path}: empty message_id", field=MESSAGE_ID)
    dup = df[MESSAGE_ID][df[MESSAGE_ID].duplicated()].unique().tolist()
    if dup:
        raise DataContractError(f"dimension labels {path}: duplicated message ids {dup[:5]}", field=MESSAGE_ID, ids=dup)
    df[DIMENSIONS_COL] = df[DIMENSIONS_COL].map(split_labels)
    if dimensions is not None:
        bad = sorted({d for ds in df[DIMENSIONS_COL] for d in ds} - set(dimensions))
        if bad:
            raise DataContractError(f"dimension labels {path}: unknown dimensions {bad}", field=DIMENSIONS_COL, ids=bad)
    return df[[MESSAGE_ID, DIMENSIONS_COL]].reset_index(drop=True)


def split_dimension_labels(labels: pd.DataFrame, *, fraction: float = HELDOUT_FRACTION) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training part, held-out part) of a labels frame with a ``message_id`` column."""
    if MESSAGE_ID not in labels.columns:
        raise DataContractError("dimension labels: no column 'message_id'", field=MESSAGE_ID)
    held = heldout_mask(labels[MESSAGE_ID], fraction=fraction)
    return labels[~held].reset_index(drop=True), labels[held].reset_index(drop=True)
