"""``govperf train``: train, log to MLflow, register."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, ClassVar, Optional

import pandas as pd
import typer
from rich.table import Table

from govperf_ml.cli._common import (
    CAPS,
    Capability,
    DaskOpt,
    PathOpt,
    TimeoutOpt,
    WorkersOpt,
    console,
    fail,
    progress,
    read_csv,
)
from govperf_ml.contracts import DataContractError


class TrainingData:
    """Training inputs: the user's CSV files where given, else the bundled sample city.

    ``stored_corrections`` is where handlers' corrections come from when no
    ``--corrections`` file is given: the service plugs in its database (``api.cli``);
    the library alone has none.
    """

    stored_corrections: ClassVar[Callable[[], pd.DataFrame | None] | None] = None

    def __init__(self, *, series=None, indicators=None, labels=None, demand=None, targets=None, feedback=None,
                 corrections=None, seed: int = 0, exog=None):
        self._files = dict(series=series, indicators=indicators, labels=labels, demand=demand, targets=targets,
                           feedback=feedback, corrections=corrections)
        self.seed = seed
        self.exog = list(exog) if exog else None
        self._city = None

    @property
    def city(self):
        if self._city is None:
            from govperf_ml.sample_city import make_sample_city

            self._city = make_sample_city(seed=self.seed)
        return self._city

    @property
    def from_files(self) -> bool:
        return any(v is not None for v in self._files.values())

    def get(self, name: str):
        path = self._files.get(name)
        if path is not None:
            return read_csv(path, name)
        if name == "corrections":
            source = type(self).stored_corrections
            return source() if source is not None else None
        if name == "feedback":  # the served default's corpus: bundled + generated messages
            from govperf_ml.sample_city import load_training_corpus

            return load_training_corpus()
        if name == "labels":
            return self.city.anomalies if self._files["series"] is None else None
        if name == "indicators" and self._files["series"] is not None:
            return None
        return getattr(self.city, name)

    def shipped_feedback(self) -> pd.DataFrame | None:
        """The bundled + generated messages mixed in with a department's --feedback file
        (None without one: the sample city's feedback is that text already)."""
        if self._files["feedback"] is None:
            return None
        from govperf_ml.sample_city import load_training_corpus

        return load_training_corpus()

    def directions(self) -> dict | None:
        meta = self.get("indicators")
        if meta is None:
            return None
        return dict(zip(meta["unique_id"].astype(str), meta["direction"].astype(str)))


def train_one(cap: str, data: TrainingData):
    from govperf_ml import training

    if cap == "anomaly":
        return training.train_anomaly(data.get("series"), data.get("labels"), data.directions())
    if cap == "forecast":
        return training.train_forecast(data.get("demand"), exog=data.exog)
    if cap == "targets":
        return training.train_targets(data.get("series"), data.get("targets"))
    return training.train_feedback(data.get("feedback"), corrections=data.get("corrections"), shipped=data.shipped_feedback())


def _register(cap: str, data: TrainingData, uri: str | None):
    from govperf_ml import registry

    res = train_one(cap, data)
    reg = registry.log_and_register(
        cap, res.estimator, params=res.params, metrics=res.metrics, gate_metric=res.gate_metric,
        greater_is_better=res.greater_is_better, promote_on_tie=res.promote_on_tie, uri=uri,
        tags={"source": "user files" if data.from_files else "sample city"},
    )
    return res, reg


def _before(reg) -> str:
    if reg.champion_before is None:
        return "none"
    if reg.champion_value is None:  # trained by another release: not compared
        return f"v{reg.champion_before} (not comparable)"
    return f"v{reg.champion_before} ({reg.champion_value:.4g})"


def _runs_table(results) -> Table:
    table = Table(title="Training runs")
    for col in ("model", "version", "gate metric", "value", "champion before", "promoted", "seconds"):
        table.add_column(col)
    for _, reg, secs in results:
        table.add_row(reg.name, reg.version, reg.metric, f"{reg.value:.4g}", _before(reg),
                      "yes" if reg.promoted else "no", f"{secs:.1f}")
    return table


def run_training(caps, data: TrainingData, *, only_missing: bool = False, uri: str | None = None) -> list:
    """Train, log and register each capability in ``caps`` (with ``only_missing``: those
    without a champion this release can serve); prints the runs as a table."""
    from govperf_ml import registry

    if only_missing:
        missing = registry.missing_champions(uri=uri)
        caps = [c for c in caps if c in missing]
    results = []
    if not caps:
        console.print("All models have a champion; nothing to train.")
        return results
    with progress() as bar:
        task = bar.add_task("training", total=len(caps))
        for cap in caps:
            bar.update(task, description=f"training {cap}")
            t0 = time.perf_counter()
            res, reg = _register(cap, data, uri)
            results.append((res, reg, time.perf_counter() - t0))
            bar.advance(task)
    console.print(_runs_table(results))
    return results


def train(
    capability: Annotated[Capability, typer.Argument(help="which model to train")] = Capability.all,
    series: PathOpt = None,
    indicators: PathOpt = None,
    labels: PathOpt = None,
    demand: PathOpt = None,
    targets: PathOpt = None,
    feedback: PathOpt = None,
    corrections: PathOpt = None,
    exog: Annotated[Optional[list[str]], typer.Option(
        help="exogenous column of --demand for the forecaster (repeat for several; future values are then "
             "needed to forecast: `govperf score forecast --future FILE`)")] = None,
    only_missing: Annotated[bool, typer.Option(help="train only models that have no champion yet")] = False,
    seed: Annotated[int, typer.Option(help="seed of the sample city")] = 0,
    dask: DaskOpt = None,
    workers: WorkersOpt = None,
    dask_timeout: TimeoutOpt = 10.0,
):
    """Train, log to MLflow and register models (on the sample city unless files are given).

    Files: --series (unique_id,ds,y), --indicators (metadata), --labels (unique_id,ds of
    known anomalies), --demand (unique_id,ds,y), --targets, --feedback (text,area,
    dimensions: a department's own labelled messages, weighted above the bundled and generated
    messages, which are left out once every area has 150 of them), --corrections (handlers'
    corrected labels, weighted likewise but never replacing the shipped messages without
    --feedback; without it, the corrections stored by the service in GOVPERF_DATABASE_URL
    are used).

    --workers N / --dask ADDRESS: the forecaster's statistical members (local, per series:
    their backtests and forecasts, most of the time on daily demand) run on Dask workers in
    chunks of whole series, with the same result; the global LightGBM member is fitted here
    on its sample of training rows (max_rows).
    """
    caps = CAPS if capability == Capability.all else (capability.value,)
    if exog and demand is None:
        fail("--exog names columns of your --demand file; the sample city's demand has none")
    if (dask is not None or workers) and "forecast" not in caps:
        fail("--dask/--workers: only forecast training is distributed (its statistical members, per series); "
             f"{capability.value} trains in one process")
    data = TrainingData(series=series, indicators=indicators, labels=labels, demand=demand, targets=targets,
                        feedback=feedback, corrections=corrections, seed=seed, exog=exog)
    from govperf_ml.parallel import ClusterUnavailable, cluster, using

    try:
        with cluster(dask, workers, timeout=dask_timeout) as client, using(client):
            run_training(list(caps), data, only_missing=only_missing)
    except DataContractError as err:
        fail(str(err))
    except ClusterUnavailable as err:
        fail(str(err))
