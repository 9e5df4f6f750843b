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
# # Demand forecasts for the sample city
#
# For policy analysts planning service-hall staff and setting realistic targets: forecast
# the daily hotline and service-hall demand of the sample city, compare models on a
# rolling-origin backtest, draw fan charts against what actually happened, and check that
# district forecasts add up to the city's. Everything runs in memory with the library's
# estimators. The test suite runs this file top to bottom, so it never rots; open it in
# Jupyter with `jupytext --to notebook 02_demand_forecasts.py`. Figures are written to
# `figures/` next to where it runs.

# %%
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from govperf_ml.forecasting import BacktestEnsemble, LGBMForecaster, SeasonalNaiveForecaster, StatsForecaster
from govperf_ml.forecasting.reconcile import reconcile
from govperf_ml.sample_city import make_sample_city
from govperf_ml.training import backtest_forecaster, forecast_metrics

FIG = Path("figures")
FIG.mkdir(exist_ok=True)
H = 28  # four weeks ahead
city = make_sample_city(seed=0)
demand, meta = city.demand, city.demand_meta
print(meta.groupby(["level", "channel"]).size())

# %% [markdown]
# ## Hold out the last four weeks
# Models learn from everything before the cut-off and forecast the four weeks after it.

# %%
cutoff = demand["ds"].max() - pd.Timedelta(days=H)
recent = demand[demand["ds"] > cutoff - pd.Timedelta(days=2 * 365)]  # two years are plenty here
train, actual = recent[recent["ds"] <= cutoff], recent[recent["ds"] > cutoff]
models = {
    "SeasonalNaive": SeasonalNaiveForecaster(),
    "AutoETS": StatsForecaster(model="AutoETS", intervals="conformal", h=H, n_windows=1, max_length=365),
    "LGBM": LGBMForecaster(h=H, n_windows=1, max_rows=50_000),
}
models["Ensemble"] = BacktestEnsemble(members=[models["AutoETS"], models["LGBM"]], h=H, n_windows=1)
forecasts, aliases = {}, {}
for name, model in models.items():
    forecasts[name] = model.fit(train).forecast(train, h=H, level=(80, 95))
    aliases[name] = forecasts[name].columns[2]  # the model's forecast column
    print(f"{name}: fitted")

# %% [markdown]
# ## Accuracy and interval coverage on the held-out weeks
# MASE below 1 beats a seasonal-naive forecast made in-sample; coverage should sit near
# the nominal 80 % and 95 %.

# %%
rows = []
for name, fc in forecasts.items():
    alias = aliases[name]
    joined = fc.merge(actual, on=["unique_id", "ds"])
    rows.append({"model": name, **forecast_metrics(joined, alias, train, season=7)})
comparison = pd.DataFrame(rows).set_index("model").round(3)
print(comparison)

# %% [markdown]
# ## Fan charts against actuals

# %%
best = comparison["mase"].idxmin()
fc, alias = forecasts[best], aliases[best]
fig, axes = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
for ax, uid in zip(axes, ["CITY|hotline", "CITY|service_hall"]):
    hist = train[(train["unique_id"] == uid) & (train["ds"] > cutoff - pd.Timedelta(days=60))]
    f = fc[fc["unique_id"] == uid]
    a = actual[actual["unique_id"] == uid]
    ax.plot(hist["ds"], hist["y"], color="black", lw=1, label="history")
    ax.fill_between(f["ds"], f[f"{alias}-lo-95"], f[f"{alias}-hi-95"], alpha=0.2, label="95 %")
    ax.fill_between(f["ds"], f[f"{alias}-lo-80"], f[f"{alias}-hi-80"], alpha=0.35, label="80 %")
    ax.plot(f["ds"], f[alias], lw=1.5, label=f"{best} forecast")
    ax.plot(a["ds"], a["y"], "o", ms=3, color="black", label="actual")
    ax.set_title(uid)
axes[0].legend(loc="upper left", fontsize=8)
fig.tight_layout()
fig.savefig(FIG / "fan_charts.png", dpi=90)
print(f"saved {FIG / 'fan_charts.png'}")

# %% [markdown]
# ## Districts that add up to the city
# Each model forecasts every series on its own, so districts need not sum to the city.
# Reconciliation (OLS here) makes them coherent and moves each interval with its forecast.

# %%
hierarchy = meta[["unique_id", "parent"]]
before = fc.copy()
after = reconcile(fc, hierarchy, method="ols")


def gap(frame):
    wide = frame.pivot(index="ds", columns="unique_id", values=alias)
    kids = meta.loc[meta["parent"] == "CITY|hotline", "unique_id"]
    return float(np.abs(wide[kids].sum(axis=1) - wide["CITY|hotline"]).max())


print(f"largest district-sum gap for the hotline: before {gap(before):.1f}, after {gap(after):.2e}")
