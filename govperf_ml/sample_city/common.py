"""Array helpers the generators share: AR(1) noise and long ``unique_id, ds, y`` frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml import contracts as C


def ar1(z: np.ndarray, phi: float) -> np.ndarray:
    """Unit-variance AR(1) noise along the last axis of ``z`` (standard normal draws)."""
    e = np.empty_like(z)
    e[..., 0] = z[..., 0]
    for t in range(1, z.shape[-1]):
        e[..., t] = phi * e[..., t - 1] + np.sqrt(1 - phi**2) * z[..., t]
    return e


def long_frame(ids: np.ndarray, ds: pd.DatetimeIndex, values: np.ndarray) -> pd.DataFrame:
    """``unique_id, ds, y``: row ``i`` of ``values`` (S, T) is series ``ids[i]`` over ``ds``."""
    n_s, n_t = values.shape
    return pd.DataFrame(
        {
            C.ID: np.repeat(ids, n_t),
            C.DS: np.tile(ds.to_numpy(), n_s),
            C.Y: values.reshape(-1),
        }
    )
