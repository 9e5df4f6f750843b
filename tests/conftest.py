"""Shared fixtures: small seeded panels, and an isolated MLflow store per test session."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_panel(n_series=4, n=60, freq="MS", seed=0, season=12, level=50.0, noise=1.0):
    """A seeded long frame of seasonal series (unique_id, ds, y)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2021-01-01", periods=n, freq=freq)
    parts = []
    for i in range(n_series):
        y = level + 5 * np.sin(np.arange(n) * 2 * np.pi / season + i) + rng.normal(0, noise, n)
        parts.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def panel():
    return make_panel()


@pytest.fixture(scope="session")
def city():
    from govperf_ml.sample_city import make_sample_city

    return make_sample_city(seed=0)


@pytest.fixture
def mlflow_home(tmp_path, monkeypatch):
    """An empty local MLflow store in a temporary folder."""
    monkeypatch.setenv("GOVPERF_HOME", str(tmp_path))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("GOVPERF_MLFLOW_TRACKING_URI", raising=False)
    return tmp_path
