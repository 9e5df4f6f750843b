"""Fixtures for the API tests: an app on a temporary SQLite file with temporary keys.

The models are small fake estimators that follow the library's estimator interface
(and validate their input with ``govperf_ml.contracts``, so contract errors are real).
``test_api_real_models.py`` runs the same service with really trained models.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.auth import ensure_api_keys
from api.main import create_app
from api.services import sample
from api.settings import Settings
from govperf_ml.contracts import (
    DataContractError,
    short,
    validate_feedback,
    validate_series,
    validate_targets,
)
from govperf_ml.registry import LoadedModel
from govperf_ml.sample_city import make_sample_city

AREAS = [
    "urban_construction",
    "labour_social_security",
    "education_culture_sports",
    "commerce_tourism",
    "environment",
    "health",
    "transport",
]
DIMENSIONS = ["timeliness", "attitude", "outcome_quality", "transparency", "fairness", "accessibility", "fees"]


class FakeAnomaly:
    """Flags values more than 10 away from their series median, and missing values."""

    band = 10.0

    def score(self, df, *, directions=None, threshold_offsets=None, targets=None):
        bad = {k: v for k, v in (directions or {}).items() if v not in ("higher", "lower")}
        if bad:
            raise DataContractError(f"directions: bad {short(bad)}", field="directions", ids=list(bad))
        data = validate_series(df)
        expected = data.groupby("unique_id")["y"].transform("median")
        z = (data["y"] - expected).abs() / self.band
        missing = data["y"].isna()
        flag = (z > 1) | missing
        return pd.DataFrame(
            {
                "unique_id": data["unique_id"],
                "ds": data["ds"],
                "y": data["y"],
                "expected": expected,
                "lo": expected - self.band,
                "hi": expected + self.band,
                "anomaly_score": z,
                "is_anomaly": flag,
                "kind": np.where(missing, "data_quality", "performance_anomaly"),
                "severity": np.where(z > 3, "high", "medium"),
                "reason_en": np.where(flag, "value far from the usual level", ""),
                "reason_zh": np.where(flag, "数值偏离常规水平", ""),
            }
        )


class FakeForecast:
    """Repeats the last value; intervals widen with the level."""

    alias = "Fake"

    def forecast(self, df, *, h, level=(80, 95), freq=None):
        data = validate_series(df, allow_missing_y=False, min_length=2)
        rows = []
        for uid, g in data.groupby("unique_id", sort=True):
            f = freq or (pd.infer_freq(g["ds"]) if len(g) >= 3 else None) or "MS"
            dates = pd.date_range(g["ds"].iloc[-1], periods=h + 1, freq=f)[1:]
            last = float(g["y"].iloc[-1])
            for ds in dates:
                row = {"unique_id": uid, "ds": ds, self.alias: last}
                for lv in level:
                    row[f"{self.alias}-lo-{lv}"] = last - lv / 10
                    row[f"{self.alias}-hi-{lv}"] = last + lv / 10
                rows.append(row)
        return pd.DataFrame(rows)


class FakeTargets:
    """Projects the last value; misses when it is on the wrong side of the target."""

    def assess(self, history_df, targets_df, *, as_of=None):
        hist = validate_series(history_df)
        tg = validate_targets(targets_df)
        missing = sorted(set(tg["unique_id"]) - set(hist["unique_id"]))
        if missing:
            raise DataContractError(f"targets: no history for {short(missing)}", field="unique_id", ids=missing)
        last = hist.dropna(subset=["y"]).groupby("unique_id")["y"].last()
        out = []
        for t in tg.itertuples(index=False):
            projected = float(last[t.unique_id])
            behind = projected < t.target if t.direction == "higher" else projected > t.target
            out.append(
                {
                    "target_id": t.target_id,
                    "unique_id": t.unique_id,
                    "p_miss": 0.8 if behind else 0.1,
                    "status": "red" if behind else "green",
                    "projected": projected,
                    "projected_lo": projected - 1,
                    "projected_hi": projected + 1,
                    "required_rate": math.nan,
                    "current_rate": 0.0,
                    "reason_en": "behind the planned path" if behind else "on track",
                    "reason_zh": "进度落后" if behind else "进度正常",
                }
            )
        return pd.DataFrame(out)


class FakeFeedback:
    """Bus/公交 -> transport (sure); anything else -> health (unsure, needs review)."""

    classes_ = np.array(AREAS)
    dimension_classes_ = np.array(DIMENSIONS)

    def classify(self, df, *, review_threshold=None):
        data = validate_feedback(df)
        rows = []
        for m in data.itertuples(index=False):
            sure = "公交" in m.text or "bus" in m.text.lower()
            area = "transport" if sure else "health"
            conf = 0.9 if sure else 0.4
            probs = {a: (conf if a == area else (1 - conf) / (len(AREAS) - 1)) for a in AREAS}
            dims = ["timeliness"] if ("没人" in m.text or "slow" in m.text.lower()) else []
            rows.append(
                {
                    "message_id": m.message_id,
                    "area": area,
                    "area_confidence": conf,
                    "area_probabilities": probs,
                    "dimensions": dims,
                    "dimension_probabilities": {d: (0.8 if d in dims else 0.1) for d in DIMENSIONS},
                    "needs_review": conf < max(0.5, review_threshold or 0.0),
                }
            )
        return pd.DataFrame(rows)


def fake_models() -> dict[str, LoadedModel]:
    def loaded(capability, estimator, metrics):
        return LoadedModel(
            capability=capability,
            name=f"govperf-{capability}",
            version="3",
            run_id=f"run-{capability}",
            estimator=estimator,
            metrics=metrics,
        )

    return {
        "anomaly": loaded("anomaly", FakeAnomaly(), {"holdout_f1": 0.8}),
        "forecast": loaded("forecast", FakeForecast(), {"mase": 0.9, "coverage80": float("nan")}),
        "targets": loaded("targets", FakeTargets(), {"brier": 0.12}),
        "feedback": loaded("feedback", FakeFeedback(), {"holdout_macro_f1": 0.85}),
    }


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        api_keys_file=tmp_path / "keys" / "api_keys.json",
        api_keys=None,
        mlflow_tracking_uri=None,
        cors_origins=[],
        review_threshold=0.6,
    )


@pytest.fixture
def api_keys(settings: Settings) -> dict[str, str]:
    keys = ensure_api_keys(settings.api_keys_file)
    assert keys is not None
    return keys


@pytest.fixture
def models() -> dict[str, LoadedModel]:
    return fake_models()


@pytest.fixture(scope="module")
def small_city():
    """A two-district sample city (small enough for API round trips)."""
    return make_sample_city(n_districts=2)


@pytest.fixture
def demo(client, monkeypatch, small_city):
    """The client, with the admin sample-city endpoints serving ``small_city``."""
    monkeypatch.setattr(sample, "sample_city", lambda *args, **kwargs: small_city)
    return client


@pytest.fixture
def make_client(settings, api_keys) -> Iterator[Callable[..., TestClient]]:
    """Build a started TestClient; ``make_client(models=...)`` to drop or swap models."""
    clients: list[TestClient] = []

    def make(*, models: dict | None = None, app_settings: Settings | None = None) -> TestClient:
        app = create_app(app_settings or settings, models=fake_models() if models is None else models)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client, models) -> TestClient:
    return make_client(models=models)


@pytest.fixture
def auth(api_keys) -> Callable[[str], dict[str, str]]:
    """Headers for a role: ``client.get(url, headers=auth("supervisor"))``."""
    return lambda role: {"X-API-Key": api_keys[role]}


class Db:
    """Reads of the app's database, each in a fresh session (so never a stale snapshot)."""

    def __init__(self, factory):
        self._factory = factory

    def scalar(self, stmt):
        with self._factory() as session:
            return session.scalar(stmt)

    def scalars(self, stmt) -> list:
        with self._factory() as session:
            return list(session.scalars(stmt))

    def rows(self, stmt) -> list:
        with self._factory() as session:
            return list(session.execute(stmt).all())

    def count(self, model) -> int:
        from sqlalchemy import func, select

        return self.scalar(select(func.count()).select_from(model))


@pytest.fixture
def db(client) -> Db:
    """For checking what was (not) written: ``db.count(Alert)``, ``db.scalars(select(...))``."""
    return Db(client.app.state.session_factory)


def monthly(unique_id: str, values, start: str = "2024-01-01") -> list[dict]:
    """Series points for a request body."""
    dates = pd.date_range(start, periods=len(values), freq="MS")
    return [{"unique_id": unique_id, "ds": d.strftime("%Y-%m-%d"), "y": v} for d, v in zip(dates, values, strict=True)]


def observations(org_unit: str, indicator: str, values, start: str = "2024-01-01", **extra) -> list[dict]:
    dates = pd.date_range(start, periods=len(values), freq="MS")
    return [
        {"org_unit": org_unit, "indicator": indicator, "ds": d.strftime("%Y-%m-%d"), "value": v, **extra}
        for d, v in zip(dates, values, strict=True)
    ]


@pytest.fixture
def helpers():
    """Body builders (conftest modules cannot be imported by name)."""

    class H:
        pass

    H.monthly = staticmethod(monthly)
    H.observations = staticmethod(observations)
    H.fake_models = staticmethod(fake_models)
    return H


@pytest.fixture(scope="session")
def tiny_registry(tmp_path_factory) -> str:
    """An MLflow store with tiny, really trained champions of every capability (trained once)."""
    from tests.api.trained import train_tiny_registry

    return train_tiny_registry(tmp_path_factory.mktemp("mlflow"))


class JsonLog:
    """What the service logs, as python-json-logger writes it under ``govperf serve``."""

    LOGGERS = ("",)  # the root, which every logger propagates to in tests

    def __init__(self):
        import io
        import logging.config

        from api.log_config import RequestIdFilter, json_formatter

        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        spec = dict(json_formatter())
        factory = spec.pop("()")
        module, _, name = factory.rpartition(".")
        self.handler.setFormatter(getattr(__import__(module, fromlist=[name]), name)(**spec))
        self.handler.addFilter(RequestIdFilter())
        self.handler.addFilter(lambda record: not record.name.startswith(("httpx", "httpcore")))  # the test client
        self.saved = []

    def __enter__(self):
        import logging

        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            self.saved.append((logger, logger.level))
            logger.addHandler(self.handler)
            logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc):
        for logger, level in self.saved:
            logger.removeHandler(self.handler)
            logger.setLevel(level)

    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict]:
        import json

        return [json.loads(line) for line in self.text().splitlines() if line.strip()]


@pytest.fixture
def json_log():
    with JsonLog() as log:
        yield log
