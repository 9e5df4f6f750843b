"""The one module that talks to MLflow: log runs, register versions, promote, load champions.

* Tracking and registry default to a local store under ``mlflow/`` (SQLite backend
  ``mlflow/mlflow.db`` and the artifact folder ``mlflow/artifacts``) below
  ``GOVPERF_HOME`` (default: the current directory). ``GOVPERF_MLFLOW_TRACKING_URI`` or
  ``MLFLOW_TRACKING_URI`` point it anywhere else.
* Each capability has one registered model (``govperf-anomaly`` ...). Every training run
  registers a new version; the alias ``champion`` moves to it only if it beats the current
  champion on the capability's backtest metric (the gate). The decision is logged.
* Models are stored as MLflow pyfunc models wrapping the library estimator, so they can
  also be served by ``mlflow models serve``; the API unwraps the estimator.
* Every move of ``champion`` (the gate, :func:`promote`, :func:`rollback`) records the
  champion it replaces in the registered model's tag ``champion.history``, so
  :func:`rollback` knows where to go back to.
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from govperf_ml import __version__
from govperf_ml.champions import (
    HISTORY_TAG, MODEL_NAMES, ChampionMove, RegistryError, capability_of, history_of, history_tag, pushed,
)
from govperf_ml.vocabulary import CAPABILITIES

CHAMPION = "champion"
logger = logging.getLogger("govperf.registry")

logging.getLogger("mlflow").setLevel(logging.ERROR)


def default_home() -> Path:
    return Path(os.environ.get("GOVPERF_HOME", Path.cwd())).resolve()


def mlflow_dir(home: Path | None = None) -> Path:
    return (home or default_home()) / "mlflow"


def tracking_uri(uri: str | None = None) -> str:
    """The tracking URI in force: the argument, the environment, or the local store."""
    uri = uri or os.environ.get("GOVPERF_MLFLOW_TRACKING_URI") or os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    folder = mlflow_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def _artifact_location(uri: str) -> str | None:
    if uri.startswith("sqlite:///"):
        return (Path(uri.removeprefix("sqlite:///")).parent / "artifacts").resolve().as_uri()
    return None


def _client(uri: str | None = None) -> MlflowClient:
    uri = tracking_uri(uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _experiment(client: MlflowClient, capability: str, uri: str) -> str:
    name = f"govperf-{capability}"
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    return client.create_experiment(name, artifact_location=_artifact_location(uri))


class GovperfModel(mlflow.pyfunc.PythonModel):
    """A pyfunc wrapper around a library estimator of one capability."""

    def __init__(self, capability: str, estimator: Any):
        self.capability = capability
        self.estimator = estimator

    def predict(self, context, model_input, params=None):
        params = params or {}
        est = self.estimator
        if self.capability == "anomaly":
            return est.score(model_input)
        if self.capability == "forecast":
            return est.forecast(model_input, h=int(params.get("h", 14)), level=params.get("level"))
        if self.capability == "targets":
            return est.assess(model_input["history"], model_input["targets"], as_of=params.get("as_of"))
        return est.classify(model_input)


@dataclass(frozen=True)
class LoadedModel:
    """A champion loaded for serving: which model and version, and the estimator."""

    capability: str
    name: str
    version: str
    run_id: str
    estimator: Any
    metrics: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.name}/{self.version}"


@dataclass(frozen=True)
class RegisteredVersion:
    """What ``log_and_register`` did: the new version and the gate's decision."""

    capability: str
    name: str
    version: str
    run_id: str
    metric: str
    value: float
    champion_before: str | None
    champion_value: float | None
    promoted: bool


def _better(new: float, old: float | None, greater_is_better: bool, promote_on_tie: bool = False) -> bool:
    if old is None or (isinstance(old, float) and math.isnan(old)):
        return True
    if new is None or math.isnan(new):
        return False
    if promote_on_tie and new == old:
        return True
    return new > old if greater_is_better else new < old


def champion_version(capability: str, *, uri: str | None = None):
    client = _client(uri)
    try:
        return client.get_model_version_by_alias(MODEL_NAMES[capability], CHAMPION)
    except MlflowException:
        return None


def log_and_register(
    capability: str,
    estimator: Any,
    *,
    params: dict,
    metrics: dict,
    gate_metric: str,
    greater_is_better: bool,
    promote_on_tie: bool = False,
    tags: dict | None = None,
    uri: str | None = None,
) -> RegisteredVersion:
    """Log a training run, register the model as a new version and apply the promotion gate."""
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}; use one of {CAPABILITIES}")
    if gate_metric not in metrics:
        raise ValueError(f"gate metric {gate_metric!r} is not among the metrics {sorted(metrics)}")
    uri = tracking_uri(uri)
    client = _client(uri)
    name = MODEL_NAMES[capability]
    exp_id = _experiment(client, capability, uri)
    current = champion_version(capability, uri=uri)
    champion_value = None
    if current is not None and _stale(capability, current, uri) is None:  # a stale champion is replaced
        champion_value = client.get_run(current.run_id).data.metrics.get(gate_metric)
    value = float(metrics[gate_metric])
    promoted = _better(value, champion_value, greater_is_better, promote_on_tie)
    gate = {"gate.metric": gate_metric, "gate.greater_is_better": greater_is_better,
            "gate.champion_before": current.version if current is not None else "none"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mlflow.start_run(experiment_id=exp_id, run_name=f"train-{capability}") as run:
            mlflow.set_tags({"capability": capability, "govperf_version": __version__, **(tags or {})})
            mlflow.log_params({**{k: str(v)[:500] for k, v in params.items()}, **gate})
            mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v is not None and not _nan(v)})
            if champion_value is not None:
                mlflow.log_metric("gate.champion_value", float(champion_value))
            mlflow.set_tag("gate.promoted", str(promoted).lower())
            version = _register_version(client, capability, estimator, promoted, {f"metric.{gate_metric}": str(value)},
                                        before=current.version if current is not None else None)
    return RegisteredVersion(
        capability=capability,
        name=name,
        version=version,
        run_id=run.info.run_id,
        metric=gate_metric,
        value=value,
        champion_before=str(current.version) if current is not None else None,
        champion_value=champion_value,
        promoted=promoted,
    )


def _register_version(client: MlflowClient, capability: str, estimator: Any, promoted: bool, tags: dict,
                      before=None) -> str:
    """Log the model in the active run as a new registered version; move the champion
    alias to it when ``promoted``."""
    name = MODEL_NAMES[capability]
    info = mlflow.pyfunc.log_model(
        name="model",
        python_model=GovperfModel(capability, estimator),
        registered_model_name=name,
        pip_requirements=["govperf-ml"],
    )
    version = str(info.registered_model_version)
    if promoted:
        _set_champion(client, name, version, before, pushed(_history(client, name), before), "gate")
    for key, value in {"gate.promoted": str(promoted).lower(), **tags}.items():
        client.set_model_version_tag(name, version, key, value)
    return version


def _nan(v) -> bool:
    try:
        return math.isnan(float(v))
    except (TypeError, ValueError):
        return True


class StaleModelError(RuntimeError):
    """A registered model was trained by another govperf-ml version.

    Estimators are stored as pickles of the library's classes; a model trained by another
    release may not match this code, so it is refused rather than half-working.
    """


def trained_with(version, *, uri: str | None = None) -> str | None:
    """The govperf-ml version that trained a registered model version (its run's tag)."""
    return _client(uri).get_run(version.run_id).data.tags.get("govperf_version")


def _stale(capability: str, version, uri: str | None = None) -> str | None:
    """Why the champion ``version`` cannot be served by this release (None if it can)."""
    made_by = trained_with(version, uri=uri)
    if made_by == __version__:
        return None
    return (
        f"{MODEL_NAMES[capability]} v{version.version} was trained with govperf-ml {made_by or 'of an unknown version'}, "
        f"this is {__version__}: retrain it with `govperf train {capability}`"
    )


def load_champion(capability: str, *, uri: str | None = None) -> LoadedModel | None:
    """Load the champion of one capability, or None if it has none.

    Raises :class:`StaleModelError` when the champion was trained by another release.
    """
    client = _client(uri)
    mv = champion_version(capability, uri=uri)
    if mv is None:
        return None
    why = _stale(capability, mv, uri)
    if why is not None:
        raise StaleModelError(why)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # by number, not alias: the alias may move meanwhile, and the version named must be the one served
        pyfunc = mlflow.pyfunc.load_model(f"models:/{MODEL_NAMES[capability]}/{mv.version}")
    return LoadedModel(
        capability=capability,
        name=MODEL_NAMES[capability],
        version=str(mv.version),
        run_id=mv.run_id,
        estimator=pyfunc.unwrap_python_model().estimator,
        metrics=dict(client.get_run(mv.run_id).data.metrics),
    )


def load_champions(capabilities=None, *, tracking_uri: str | None = None) -> dict[str, LoadedModel]:
    """Load every capability's champion; capabilities without one, or whose champion was
    trained by another release (logged as an error naming the command that fixes it), are
    left out."""
    out = {}
    for cap in capabilities or CAPABILITIES:
        try:
            loaded = load_champion(cap, uri=tracking_uri)
        except StaleModelError as err:
            logging.getLogger("govperf.registry").error("%s", err)
            continue
        if loaded is not None:
            out[cap] = loaded
    return out


def missing_champions(*, uri: str | None = None) -> list[str]:
    """Capabilities with no champion this release can serve (none, or a stale one)."""
    missing = []
    for cap in CAPABILITIES:
        mv = champion_version(cap, uri=uri)
        if mv is None or _stale(cap, mv, uri) is not None:
            missing.append(cap)
    return missing


def list_models(*, uri: str | None = None) -> pd.DataFrame:
    """Every registered version: capability, version, champion flag, gate metric, created."""
    client = _client(uri)
    rows = []
    for cap, name in MODEL_NAMES.items():
        try:
            versions = client.search_model_versions(f"name='{name}'")
        except MlflowException:
            continue
        champ = champion_version(cap, uri=uri)
        for mv in versions:
            metric = next((k for k in mv.tags if k.startswith("metric.")), None)
            rows.append(
                {
                    "capability": cap,
                    "name": name,
                    "version": int(mv.version),
                    "champion": champ is not None and champ.version == mv.version,
                    "metric": metric.removeprefix("metric.") if metric else None,
                    "value": float(mv.tags[metric]) if metric else None,
                    "promoted": mv.tags.get("gate.promoted"),
                    "run_id": mv.run_id,
                    "created": pd.Timestamp(mv.creation_timestamp, unit="ms"),
                }
            )
    return pd.DataFrame(rows).sort_values(["capability", "version"]).reset_index(drop=True) if rows else pd.DataFrame(
        columns=["capability", "name", "version", "champion", "metric", "value", "promoted", "run_id", "created"]
    )


def _history(client: MlflowClient, name: str) -> list[str]:
    try:
        return history_of(client.get_registered_model(name).tags)
    except MlflowException:
        raise RegistryError(f"{name} has no registered versions yet: train it with `govperf train`") from None


def _set_champion(client: MlflowClient, name: str, version, before, history: list[str], action: str) -> None:
    """Record ``history`` (earlier champions), then point ``champion`` at ``version``."""
    client.set_registered_model_tag(name, HISTORY_TAG, history_tag(history))
    client.set_registered_model_alias(name, CHAMPION, str(version))
    logger.info("%s champion v%s -> v%s (%s)", name, before if before is not None else "none", version, action)


def _servable(client: MlflowClient, capability: str, version: str, uri: str | None):
    name = MODEL_NAMES[capability]
    try:
        mv = client.get_model_version(name, version) if str(version).isdigit() else None
    except MlflowException:
        mv = None
    if mv is None:
        known = sorted(int(m.version) for m in client.search_model_versions(f"name='{name}'"))
        raise RegistryError(f"{name} has no version {version!r} (versions: {', '.join(map(str, known)) or 'none'})")
    why = _stale(capability, mv, uri)
    if why is not None:
        raise RegistryError(f"cannot make it champion: {why}")
    return mv


def promote(name: str, version, *, uri: str | None = None, action: str = "promote") -> ChampionMove:
    """Move ``champion`` of model ``name`` (capability or registered name) to ``version``,
    recording the champion it replaces. Unknown names or versions, and versions this
    release cannot serve, raise :class:`RegistryError`; the current champion is a no-op."""
    cap = capability_of(name)
    client = _client(uri)
    history = _history(client, MODEL_NAMES[cap])
    mv = _servable(client, cap, str(version), uri)
    current = champion_version(cap, uri=uri)
    before = str(current.version) if current is not None else None
    move = ChampionMove(cap, MODEL_NAMES[cap], before, str(mv.version), action)
    if move.changed:
        _set_champion(client, move.name, move.after, before, pushed(history, before), action)
    return move


def rollback(name: str, version=None, *, uri: str | None = None) -> ChampionMove:
    """Move ``champion`` back to the champion before the current one (from the recorded
    history, which it pops), or to ``version`` (then as :func:`promote`, logged as a rollback)."""
    if version is not None:
        return promote(name, version, uri=uri, action="rollback")
    cap = capability_of(name)
    client = _client(uri)
    reg_name = MODEL_NAMES[cap]
    history = _history(client, reg_name)
    current = champion_version(cap, uri=uri)
    before = str(current.version) if current is not None else None
    history = [v for v in history if v != before]  # going back to the current one moves nothing
    if not history:
        raise RegistryError(f"no earlier champion of {reg_name} is recorded: "
                            f"name the version (`govperf models rollback {cap} VERSION`)")
    target = _servable(client, cap, history.pop(), uri)
    _set_champion(client, reg_name, target.version, before, history, "rollback")
    return ChampionMove(cap, reg_name, before, str(target.version), "rollback")
