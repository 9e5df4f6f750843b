"""``govperf score forecast --hierarchy``: reconciled forecasts in the score CSV layout plus ``level``."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from govperf_ml.cli import app
from govperf_ml.cli import score as score_cmd
from govperf_ml.forecasting.hierarchy import coherence_error, from_keys
from govperf_ml.registry import LoadedModel
from tests.unit.forecasting.test_hierarchy import MaxOfLastThree, panel

runner = CliRunner()


def _champion(monkeypatch):
    model = LoadedModel(capability="forecast", name="govperf-forecast", version="2", run_id="r",
                        estimator=MaxOfLastThree(), metrics={})
    monkeypatch.setattr(score_cmd, "champion", lambda cap: model)


def test_key_columns(tmp_path, monkeypatch):
    _champion(monkeypatch)
    ids = ["C/CP/A", "C/SN/A", "G/CP/A", "G/CP/B"]
    df = panel(ids)
    df = df.assign(Concession=df["unique_id"].str[0], Type=df["unique_id"].str[2:4], ATC1=df["unique_id"].str[-1])
    df.to_csv(tmp_path / "in.csv", index=False)
    res = runner.invoke(app, ["score", "forecast", "-i", str(tmp_path / "in.csv"), "--h", "3",
                              "--hierarchy", "Concession,Type,ATC1", "-o", str(tmp_path / "out.csv")])
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "out.csv", parse_dates=["ds"])
    assert {"unique_id", "ds", "M", "M-lo-80", "M-hi-95", "level", "model_version"} <= set(out.columns)
    assert set(out["level"]) == {"Total", "Concession", "Concession/Type", "Concession/Type/ATC1"}
    assert coherence_error(out, from_keys(df, ["Concession", "Type", "ATC1"]), "M") < 1e-6


def test_parent_column_and_a_bad_hierarchy_is_one_line_naming_the_node(tmp_path, monkeypatch):
    _champion(monkeypatch)
    df = panel(["a1", "a2"]).assign(parent="A")
    top = pd.DataFrame({"unique_id": ["A"], "ds": [df["ds"].iloc[0]], "y": [None], "parent": [None]})
    pd.concat([df, top]).to_csv(tmp_path / "in.csv", index=False)
    res = runner.invoke(app, ["score", "forecast", "-i", str(tmp_path / "in.csv"), "--h", "2",
                              "--hierarchy", "parent", "--reconciliation", "ols"])
    assert res.exit_code == 0, res.output
    df.assign(parent="X").to_csv(tmp_path / "orphan.csv", index=False)
    res = runner.invoke(app, ["score", "forecast", "-i", str(tmp_path / "orphan.csv"), "--hierarchy", "parent"])
    assert res.exit_code == 2 and "'X'" in res.output and "is not a node" in res.output


def test_bench_forecast_hierarchy_reports_every_level_and_coherence(tmp_path):
    import json

    ids = ["a/x", "a/y", "b/x", "b/y"]
    df = panel(ids, n=48).assign(y=lambda d: d["y"] * 100)
    df = df.assign(K1=df["unique_id"].str[0], K2=df["unique_id"].str[-1]).rename(columns={"y": "Scripts"})
    df.to_csv(tmp_path / "pbs_like.csv.gz", index=False)
    res = runner.invoke(app, ["bench", "forecast", "--data", str(tmp_path), "--hierarchy", "K1,K2"])
    assert res.exit_code == 0, res.output
    result = json.loads(next(line for line in res.output.splitlines() if line.startswith("RESULT "))[7:])
    assert result["levels"] == 3 and result["series"] == 7 and result["bottom"] == 4 and result["h"] == 12
    assert result["coherence_base"] > 1e-6
    for method in ("bottom_up", "ols", "mint_shrink"):
        assert result[f"coherence_{method}"] < 1e-6 and result[f"mase_{method}"] > 0
