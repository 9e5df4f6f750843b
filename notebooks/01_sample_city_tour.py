# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     name: python3
#     display_name: Python 3
# ---

# %% [markdown]
# # A tour of the sample city
#
# For policy analysts: load the bundled sample city, look at one district's indicators,
# backtest the demand forecaster and rate this year's targets. Everything runs in memory
# with the library's estimators (no server, no MLflow). The test suite runs this file, so
# it never rots. Open it in Jupyter with `jupytext --to notebook 01_sample_city_tour.py`.

# %%
import pandas as pd

from govperf_ml.anomaly import AnomalyPipeline
from govperf_ml.forecasting import SeasonalNaiveForecaster
from govperf_ml.sample_city import make_sample_city
from govperf_ml.targets import LinearPaceRule
from govperf_ml.training import backtest_forecaster, forecast_metrics

city = make_sample_city(seed=0)
print(city.indicators.groupby("dimension").size())

# %% [markdown]
# ## Anomalies in one district
# The detector scores every value causally; the rule flags falls of higher-is-better
# indicators (and rises of lower-is-better ones) and data-quality problems.

# %%
directions = dict(zip(city.indicators["unique_id"], city.indicators["direction"]))
district = city.indicators["org_unit"].iloc[0]
ids = city.indicators.loc[city.indicators["org_unit"] == district, "unique_id"]
panel = city.series[city.series["unique_id"].isin(ids)]
scored = AnomalyPipeline().fit(panel).score(panel, directions=directions)
alerts = scored[scored["is_anomaly"]]
print(f"{district}: {len(alerts)} flagged values in {panel['unique_id'].nunique()} indicators")
print(alerts[["unique_id", "ds", "y", "expected", "kind", "severity"]].head(10).to_string(index=False))

# %% [markdown]
# ## Demand forecasts and their backtest
# Rolling-origin backtest: four windows of 28 days; coverage is the share of actual
# values inside the 80 % and 95 % intervals.

# %%
hotline = city.demand[city.demand["unique_id"].str.contains("hotline")]
model = SeasonalNaiveForecaster().fit(hotline)
bt = backtest_forecaster(model, hotline, h=28, n_windows=4)
metrics = forecast_metrics(bt, model.alias, hotline, season=7)
print({k: round(v, 3) for k, v in metrics.items()})
fan = model.forecast(hotline[hotline["unique_id"] == hotline["unique_id"].iloc[0]], h=14)
print(fan.round(1).to_string(index=False))

# %% [markdown]
# ## This year's targets at mid-year

# %%
deadline = city.targets["deadline"].max()
past = city.targets[city.targets["deadline"] < deadline]
this_year = city.targets[city.targets["deadline"] == deadline]
as_of = pd.Timestamp(deadline) - pd.DateOffset(months=6)
rule = LinearPaceRule().fit(city.series[city.series["ds"] <= as_of], past)
risk = rule.assess(city.series[city.series["ds"] <= as_of], this_year, as_of=as_of)
print(risk["status"].value_counts())
print(risk.sort_values("p_miss", ascending=False)[["target_id", "p_miss", "status", "reason_en"]].head(5).to_string(index=False))
