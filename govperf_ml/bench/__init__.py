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


from govperf_ml.bench import anomaly, feedback, forecast, targets  # noqa: E402

__all__ = ["BenchResult", "anomaly", "feedback", "forecast", "targets"]
