"""Really trained champions, tiny and seeded, for the tests that serve them through MLflow.

Training takes a few seconds; the session-wide ``tiny_registry`` fixture (tests/api/conftest.py)
does it once for every module that needs real models.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

UNITS = ("d1", "d2", "d3")
INDICATOR = "on_time_rate"


def _panel(rng) -> pd.DataFrame:
    months = pd.date_range("2021-01-01", periods=36, freq="MS")
    rows = []
    for unit in UNITS:
        y = 80 + rng.normal(0, 1, len(months))
        y[30] = 40  # a collapse of on-time completion
        rows += [{"unique_id": f"{unit}|{INDICATOR}", "ds": d, "y": v} for d, v in zip(months, y, strict=True)]
    return pd.DataFrame(rows)


def _messages() -> pd.DataFrame:
    texts = {
        "transport": ["公交车经常晚点", "地铁太挤了", "the bus is always late", "道路拥堵严重"],
        "health": ["医院挂号太难", "看病太贵", "long hospital queue", "医生态度很差"],
        "education_culture_sports": ["学校乱收费", "孩子入学难", "school fees too high", "图书馆总是关门"],
    }
    rows, i = [], 0
    for area, items in texts.items():
        for rep in range(4):
            for text in items:
                rows.append(
                    {
                        "message_id": f"m{i}",
                        "text": f"{text} {rep}",
                        "area": area,
                        "dimensions": "timeliness" if i % 2 else "fees",
                    }
                )
                i += 1
    return pd.DataFrame(rows)


def train_tiny_registry(folder: Path) -> str:
    """Train the four capabilities on tiny seeded data into an MLflow store under ``folder``."""
    from govperf_ml import registry, training

    rng = np.random.default_rng(0)
    series = _panel(rng)
    labels = series.loc[series["y"] < 50, ["unique_id", "ds"]]
    days = pd.date_range("2024-01-01", periods=120, freq="D")
    demand = pd.DataFrame(
        [
            {"unique_id": hall, "ds": d, "y": 100 + 10 * (d.dayofweek < 5) + rng.normal(0, 2)}
            for hall in ("h1", "h2")
            for d in days
        ]
    )
    targets = pd.DataFrame(
        [
            {
                "unique_id": f"{u}|{INDICATOR}",
                "target": 81,
                "deadline": f"{year}-12-31",
                "direction": "higher",
                "aggregation": "mean",
            }
            for u in UNITS
            for year in (2021, 2022, 2023)
        ]
    )
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    results = [
        training.train_anomaly(series, labels, {f"{u}|{INDICATOR}": "higher" for u in UNITS}),
        training.train_forecast(demand, h=7, n_windows=2),
        training.train_targets(series, targets),
        training.train_feedback(_messages()),
    ]
    for r in results:
        registry.log_and_register(
            r.capability,
            r.estimator,
            params=r.params,
            metrics=r.metrics,
            gate_metric=r.gate_metric,
            greater_is_better=r.greater_is_better,
            uri=uri,
        )
    return uri


def serving_settings(folder: Path, tracking_uri: str, **overrides):
    """Settings of a service in ``folder`` (SQLite file, keys file) serving the champions of
    ``tracking_uri``."""
    from api.settings import Settings

    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{folder / 'govperf.db'}",
        api_keys_file=folder / "api_keys.json",
        mlflow_tracking_uri=tracking_uri,
        **overrides,
    )
