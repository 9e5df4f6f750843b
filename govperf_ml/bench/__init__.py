"""Benchmarks: our models against named baselines on public data, in one run.

Each module has ``run(data, ...) -> BenchResult``; the CLI prints the tables and one
``RESULT {json}`` line. Every bench takes the dataset folder as an argument, so the same
command runs on any dataset in the benchmark's layout.
"""

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class BenchResult:
    tables: list[tuple[str, pd.DataFrame]]
    summary: dict
    notes: list[str] = field(default_factory=list)


def load_m4_task(data, freq: str, *, quick_series: int | None = None):
    """Check ``--freq``, read an M4-layout folder; returns freq, horizon, season, train, test.

    With ``quick_series`` only the first that many series are kept (smoke runs).
    """
    from govperf_ml.contracts import DataContractError
    from govperf_ml.evaluation import m4

    freq = freq.lower()
    if freq not in m4.M4_FREQS:
        raise DataContractError(f"--freq must be one of {sorted(m4.M4_FREQS)}; got {freq!r}", field="freq")
    h, m = m4.M4_FREQS[freq]
    try:
        train, test = m4.load_m4(data, freq)
    except FileNotFoundError as err:
        raise DataContractError(f"--data {data}: {err}", field="data") from None
    if quick_series:
        ids = train["unique_id"].unique()[:quick_series]
        train, test = train[train.unique_id.isin(ids)], test[test.unique_id.isin(ids)]
    return freq, h, m, train, test


from govperf_ml.bench import anomaly, feedback, forecast, hierarchy, monthly, targets, targets_suite  # noqa: E402
from govperf_ml.bench.target_corpora import CORPORA  # noqa: E402

__all__ = ["BenchResult", "CORPORA", "anomaly", "feedback", "forecast", "hierarchy", "monthly", "targets",
           "targets_suite"]
