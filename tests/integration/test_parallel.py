"""The batch paths in chunks and on Dask: the same output as one process, nothing half-written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from govperf_ml.batch import BatchJob, read_chunks, run_batch
from govperf_ml.cli import app

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def two_workers():
    from govperf_ml.parallel import cluster

    with cluster(workers=2, processes=False, memory_limit=None) as client:
        yield client


def _daily(n_series=6, n=120, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=n, freq="D")
    return pd.concat([pd.DataFrame({"unique_id": f"hall{i:02d}", "ds": ds,
                                    "y": 100 + 10 * (ds.dayofweek < 5) + i + rng.normal(0, 2, n)})
                      for i in range(n_series)], ignore_index=True)


def test_anomaly_on_two_workers_equals_one_process(city, tmp_path, two_workers):
    from govperf_ml.anomaly import AnomalyPipeline

    series = city.series[city.series["unique_id"] < "D07"]  # six districts: peer groups of six
    est = AnomalyPipeline().fit(series, city.anomalies)
    series.to_csv(tmp_path / "series.csv", index=False)  # sorted by unit: peer groups are scattered
    job = BatchJob("anomaly", est, "m/1", {"directions": None}, chunk_rows=2000)
    n1 = run_batch(job, tmp_path / "series.csv", tmp_path / "one.csv")
    n2 = run_batch(job, tmp_path / "series.csv", tmp_path / "two.csv", client=two_workers)
    assert n1 == n2 == len(series)
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
    whole = est.score(series).assign(model_version="m/1")
    whole.to_csv(tmp_path / "whole.csv", index=False)
    key = ["unique_id", "ds"]
    a = pd.read_csv(tmp_path / "whole.csv").sort_values(key, ignore_index=True)
    b = pd.read_csv(tmp_path / "two.csv").sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(a, b)
    assert b["is_anomaly"].any() and b["detectors"].str.contains("peer", na=False).any()


def test_forecast_on_two_workers_equals_one_process(tmp_path, two_workers):
    from govperf_ml.forecasting import LGBMForecaster

    demand = _daily()
    est = LGBMForecaster(h=7, n_windows=1, regressor_params={"n_estimators": 20}).fit(demand)
    demand.to_parquet(tmp_path / "demand.parquet", index=False)
    job = BatchJob("forecast", est, "m/2", {"h": 7, "level": [80], "future": None}, chunk_rows=250)
    run_batch(job, tmp_path / "demand.parquet", tmp_path / "fc.csv", client=two_workers)
    est.forecast(demand, h=7, level=[80]).assign(model_version="m/2").to_csv(tmp_path / "whole.csv", index=False)
    assert (tmp_path / "fc.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_statistical_forecaster_fits_and_forecasts_on_workers_as_in_one_process(two_workers):
    from govperf_ml.forecasting import StatsForecaster
    from govperf_ml.parallel import using

    demand = _daily(n_series=9, n=90)
    est = StatsForecaster(model="SeasonalNaive", intervals="conformal", h=7, n_windows=2)
    here = est.fit(demand)
    bt_here, fc_here = here.backtest_.copy(), here.forecast(demand, h=7)
    with using(two_workers):
        there = StatsForecaster(**est.get_params()).fit(demand)
        fc_there = there.forecast(demand, h=7)
    pd.testing.assert_frame_equal(there.backtest_, bt_here)
    pd.testing.assert_frame_equal(fc_there, fc_here)


def test_series_must_be_contiguous_and_a_failed_run_writes_nothing(tmp_path):
    from govperf_ml.contracts import DataContractError
    from govperf_ml.forecasting import LGBMForecaster

    demand = _daily(n_series=3)
    est = LGBMForecaster(h=7, n_windows=0, regressor_params={"n_estimators": 5}).fit(demand)
    demand.sample(frac=1, random_state=0).to_csv(tmp_path / "shuffled.csv", index=False)
    assert sum(map(len, read_chunks(tmp_path / "shuffled.csv", chunk_rows=10, key=str.upper))) == len(demand)
    job = BatchJob("forecast", est, "m/3", {"h": 7, "level": [], "future": None}, chunk_rows=50)
    with pytest.raises(DataContractError, match="not contiguous"):
        run_batch(job, tmp_path / "shuffled.csv", tmp_path / "fc.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shuffled.csv"]


def test_an_unreachable_scheduler_is_one_line_and_no_file(tmp_path):
    pd.DataFrame({"unique_id": ["a"] * 30, "ds": pd.date_range("2022-01-01", periods=30, freq="MS"),
                  "y": 1.0}).to_csv(tmp_path / "in.csv", index=False)
    res = CliRunner().invoke(app, ["score", "anomaly", "-i", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"),
                                   "--dask", "tcp://127.0.0.1:9", "--dask-timeout", "1"])
    assert res.exit_code == 2, res.output
    assert "tcp://127.0.0.1:9" in res.output and "Traceback" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_bench_scale_prints_a_row_per_stage_and_the_result_keys(monkeypatch):
    import functools
    import json

    from govperf_ml.bench import scale

    monkeypatch.setattr(scale, "run", functools.partial(scale.run, in_process=True))
    res = CliRunner().invoke(app, ["bench", "scale", "--sizes", "60,120", "--daily-sizes", "none", "--workers", "2"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.output.split("RESULT ", 1)[1].splitlines()[0])
    assert {"anomaly_series_per_s_1proc", "anomaly_series_per_s_dask", "forecast_series_per_s_dask",
            "peak_rss_gb_1m_series", "seconds"} <= set(result)
    assert result["anomaly_series_per_s_1proc"] > 0 and result["anomaly_series_per_s_dask"] > 0
    assert result["forecast_series_per_s_dask"] is None and result["peak_rss_gb_1m_series"] is None
    for header in ("series_per_s", "peak_rss_gb", "b_ms_per_series", "32 workers"):
        assert header in res.output
    assert "1 process" in res.output and "dask" in res.output
    bad = CliRunner().invoke(app, ["bench", "scale", "--sizes", "lots"])
    assert bad.exit_code == 2 and "--sizes" in bad.output
