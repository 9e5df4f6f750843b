"""Benches take any folder in the benchmark's layout and end with one RESULT line."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from govperf_ml.bench import forecast, load_m4_task, targets
from govperf_ml.cli import app
from govperf_ml.contracts import DataContractError


def m4_folder(tmp_path, n_series=12, n=120, h=13, freq="Weekly"):
    """A tiny folder in M4's wide layout (ids W1..., right-padded rows)."""
    rng = np.random.default_rng(0)
    (tmp_path / "Train").mkdir()
    (tmp_path / "Test").mkdir()
    train, test = [], []
    for i in range(n_series):
        length = n - (i % 3) * 5
        y = 100 + np.cumsum(rng.normal(0.2 * (i % 4 - 1.5), 2, length + h))
        train.append([f"W{i + 1}", *np.round(y[:length], 2)])
        test.append([f"W{i + 1}", *np.round(y[length:], 2)])
    width = max(len(r) for r in train)
    cols = [f"V{j + 1}" for j in range(width)]
    pd.DataFrame([r + [None] * (width - len(r)) for r in train], columns=cols).to_csv(
        tmp_path / "Train" / f"{freq}-train.csv", index=False)
    pd.DataFrame(test, columns=[f"V{j + 1}" for j in range(h + 1)]).to_csv(
        tmp_path / "Test" / f"{freq}-test.csv", index=False)
    return tmp_path


@pytest.mark.parametrize("module", [forecast, targets])
def test_bad_freq_and_folder_are_contract_errors(module, tmp_path):
    with pytest.raises(DataContractError, match="--freq") as err:
        module.run(tmp_path, freq="fortnightly")
    assert err.value.field == "freq"
    with pytest.raises(DataContractError, match="--data") as err:
        module.run(tmp_path / "nowhere", freq="weekly")
    assert err.value.field == "data"


def test_load_m4_task_quick(tmp_path):
    freq, h, m, train, test = load_m4_task(m4_folder(tmp_path), "WEEKLY", quick_series=5)
    assert (freq, h, m) == ("weekly", 13, 1)
    assert train["unique_id"].nunique() == 5 and test.groupby("unique_id").size().eq(13).all()


def test_targets_bench_end_to_end_via_cli(tmp_path):
    res = CliRunner().invoke(app, ["bench", "targets", "--data", str(m4_folder(tmp_path)), "--freq", "weekly"])
    assert res.exit_code == 0, res.output
    last = res.output.strip().splitlines()[-1]
    assert last.startswith("RESULT ")
    summary = json.loads(last.removeprefix("RESULT "))
    assert set(summary) == {"brier", "brier_skill_vs_pace", "auc", "ece", "episodes", "seconds"}
    assert 0 <= summary["brier"] <= 1 and summary["episodes"] > 0


def monthly_folder(tmp_path, n_series=12, n=120):
    """A tiny folder in the monthly_public layout (not the shared data)."""
    rng = np.random.default_rng(1)
    ds = pd.date_range("2012-01-01", periods=n, freq="MS")
    season = 30 * np.sin(np.arange(n) * 2 * np.pi / 12)
    pbs = pd.concat([pd.DataFrame({"unique_id": f"C/CP/A/A{i:02d}", "ds": ds,
                                   "Scripts": np.round(1000 + 10 * i + season + rng.normal(0, 8, n))})
                     for i in range(n_series)])
    retail = pd.concat([pd.DataFrame({"unique_id": f"S{i}|Food", "ds": ds,
                                      "y": np.round(500 + 2 * np.arange(n) + season + rng.normal(0, 5, n), 1)})
                        for i in range(n_series)])
    pbs.to_csv(tmp_path / "pbs_scripts_monthly.csv.gz", index=False)
    retail.to_csv(tmp_path / "aus_retail_turnover_monthly.csv.gz", index=False)
    return tmp_path


def test_monthly_anomaly_bench_end_to_end_via_cli(tmp_path):
    res = CliRunner().invoke(app, ["bench", "anomaly", "--monthly", str(monthly_folder(tmp_path)), "--quick"])
    assert res.exit_code == 0, res.output
    assert "HELD-OUT" in res.output and "naive year-on-year robust z" in res.output
    summary = json.loads(res.output.strip().splitlines()[-1].removeprefix("RESULT "))
    assert 0 < summary["in_corpus_event_f1"] <= 1 and 0 <= summary["held_out_event_f1"] <= 1
    found = [v for v in summary["missing_recall"].values() if v == v]  # NaN: no such event placed
    assert found and all(v == 1.0 for v in found)  # absent rows are reported by the served pipeline


def test_monthly_bench_bad_folder_is_one_line_exit_2(tmp_path):
    folder = monthly_folder(tmp_path)
    (folder / "aus_retail_turnover_monthly.csv.gz").unlink()
    res = CliRunner().invoke(app, ["bench", "anomaly", "--monthly", str(folder)])
    assert res.exit_code == 2 and "aus_retail_turnover_monthly.csv.gz not found" in res.output
    pd.DataFrame({"unique_id": ["a"], "when": ["2020-01-01"], "y": [1.0]}).to_csv(
        folder / "aus_retail_turnover_monthly.csv.gz", index=False)
    res = CliRunner().invoke(app, ["bench", "anomaly", "--monthly", str(folder)])
    assert res.exit_code == 2 and "lacks column(s) ['ds']" in res.output


def suite_root(tmp_path):
    """A dataset root in the suite's layout: M4 weekly and a tiny PBS-like monthly panel."""
    (tmp_path / "m4_hourly_weekly").mkdir()
    m4_folder(tmp_path / "m4_hourly_weekly", n_series=10)
    rng = np.random.default_rng(1)
    ds = pd.date_range("2000-01-01", periods=60, freq="MS")
    rows = [pd.DataFrame({"unique_id": f"P{i}", "ds": ds, "Concession": "C",
                          "Scripts": 100 + 10 * np.sin(np.arange(60) * np.pi / 6) + rng.normal(0, 3 + i, 60)})
            for i in range(10)]
    (tmp_path / "monthly_public").mkdir()
    pd.concat(rows).to_csv(tmp_path / "monthly_public" / "pbs_scripts_monthly.csv.gz", index=False)
    return tmp_path


def test_targets_suite_end_to_end_via_cli(tmp_path):
    root = suite_root(tmp_path)
    res = CliRunner().invoke(app, ["bench", "targets", "--suite", str(root), "--corpora",
                                   "m4_weekly,pbs_monthly,city_kpi_monthly", "--max-series", "10"])
    assert res.exit_code == 0, res.output
    assert "leave-one-corpus-out" in res.output and "Reliability" in res.output
    summary = json.loads(res.output.strip().splitlines()[-1].removeprefix("RESULT "))
    for key in ("min_skill_loco", "max_ece_loco", "seconds", "skill_loco_pbs_monthly", "skill_in_m4_weekly"):
        assert key in summary
    assert 0 <= summary["max_ece_loco"] <= 1 and summary["min_skill_loco"] <= summary["skill_loco_m4_weekly"]


def test_targets_suite_names_a_missing_or_malformed_file(tmp_path):
    root = suite_root(tmp_path)
    res = CliRunner().invoke(app, ["bench", "targets", "--suite", str(root), "--corpora", "retail_monthly"])
    assert res.exit_code == 2 and "aus_retail_turnover_monthly.csv.gz" in res.output.replace("\n", "")
    (root / "monthly_public" / "aus_retail_turnover_monthly.csv.gz").write_text("not,a\nnumber,here\n")
    res = CliRunner().invoke(app, ["bench", "targets", "--suite", str(root), "--corpora", "retail_monthly"])
    assert res.exit_code == 2 and "aus_retail_turnover_monthly.csv.gz" in res.output.replace("\n", "")
    res = CliRunner().invoke(app, ["bench", "targets", "--suite", str(root), "--corpora", "nope"])
    assert res.exit_code == 2 and "nope" in res.output
