"""The bundled, seeded "sample city": synthetic performance data with labelled anomalies.

A fictional prefecture-level city with twelve districts (``D01`` .. ``D12``) in three peer
groups. For each district it produces thirty monthly KPIs across the evaluation
dimensions, daily public-demand series (12345 hotline calls and service-hall
applications) that sum up to the city, yearly targets, labelled anomalies of every kind
the service must recognise, and the team-written citizen-feedback corpus.

Everything is generated from one ``numpy.random.default_rng(seed)``: the same seed gives
the same city, bit for bit. Nothing is read from the network; the Chinese holiday calendar
comes from :mod:`govperf_ml.calendar`. How the city is made is documented in
``models/SAMPLE_CITY.md``.

Example::

    city = make_sample_city(seed=0)
    city.series.head()                    # unique_id, ds, y (monthly; NaN = missing submission)
    city.anomalies["kind"].value_counts()  # one row per labelled point
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from govperf_ml import contracts as C
from govperf_ml.calendar import calendar_features

__all__ = [
    "ANOMALY_CATEGORIES",
    "ANOMALY_KINDS",
    "SampleCity",
    "load_feedback_corpus",
    "make_sample_city",
    "write_sample_city",
]

#: kind of injected anomaly -> its category
ANOMALY_CATEGORIES: dict[str, str] = {
    "spike": "performance",
    "dip": "performance",
    "level_shift": "performance",
    "flat_line": "data_quality",
    "missing": "data_quality",
    "blank_as_zero": "data_quality",
    "scale_change": "data_quality",
    "bunching": "misreporting",
    "end_of_period_jump": "misreporting",
    "peer_outlier": "peer",
}
ANOMALY_KINDS = tuple(ANOMALY_CATEGORIES)

# events injected into the monthly KPI series, per kind (fixed, whatever the seed)
_N_EVENTS = {
    "bunching": 10,
    "level_shift": 12,
    "peer_outlier": 10,
    "scale_change": 10,
    "flat_line": 12,
    "end_of_period_jump": 12,
    "missing": 14,
    "spike": 14,
    "dip": 14,
    "blank_as_zero": 12,
}
# events injected into the daily demand series
_N_DEMAND_EVENTS = {"spike": 6, "dip": 6}

_CORPUS_RESOURCE = "data/feedback_corpus.csv"

# ---------------------------------------------------------------------------------------
# Districts: a fictional city. Names are invented; any likeness is coincidental.
# ---------------------------------------------------------------------------------------
_DISTRICTS = (
    # id, zh, en, peer group, population in 10k residents (first year)
    ("D01", "东湖区", "Donghu District", "urban_core", 78.0),
    ("D02", "西城区", "Xicheng District", "urban_core", 64.0),
    ("D03", "鼓楼区", "Gulou District", "urban_core", 71.0),
    ("D04", "南江区", "Nanjiang District", "urban_core", 55.0),
    ("D05", "青山区", "Qingshan District", "suburban", 46.0),
    ("D06", "白沙区", "Baisha District", "suburban", 39.0),
    ("D07", "北塘区", "Beitang District", "suburban", 52.0),
    ("D08", "柳河区", "Liuhe District", "suburban", 35.0),
    ("D09", "石桥区", "Shiqiao District", "suburban", 42.0),
    ("D10", "高新区", "Gaoxin District (hi-tech zone)", "new_zone", 31.0),
    ("D11", "滨湖新区", "Binhu New Area", "new_zone", 24.0),
    ("D12", "临港区", "Lingang District", "new_zone", 27.0),
)
_PEER_GROUPS = ("urban_core", "suburban", "new_zone")

# ---------------------------------------------------------------------------------------
# Indicators. kind: rate (%), level (any unit), count (integers, scale with population),
# ytd (cumulative within the year). season: coefficients on monthly calendar features
# (sf = Spring-Festival week in the month, dec = December, winter = cos of the month,
# hol = other public-holiday weeks in the month; counts: on the log scale).
# trend: per year, in units (log for counts); sign = usual improvement.
# ---------------------------------------------------------------------------------------
_I = (
    # indicator, zh, unit, dimension, direction, kind, base, group sd, district sd, trend, noise, lo, hi, decimals, aggregation, season
    ("on_time_completion_rate", "按期办结率", "%", "efficiency", "higher", "rate", 92.5, 2.0, 0.9, 0.35, 0.9, 0, 100, 1, "last", {"sf": -3.0, "dec": 0.6}),
    ("avg_processing_days", "平均办理时长", "days", "efficiency", "lower", "level", 6.8, 0.8, 0.4, -0.22, 0.28, 0.5, 60, 2, "last", {"sf": 1.4}),
    ("backlog_cases", "积压件数", "cases", "efficiency", "lower", "count", 2.2, 0.15, 0.08, -0.04, 0.05, 0, None, 0, "last", {"sf": 0.35, "dec": -0.12}),
    ("permit_approval_days", "工程建设项目审批平均用时", "working days", "efficiency", "lower", "level", 28.0, 3.0, 1.4, -1.4, 1.1, 3, 120, 1, "last", {"sf": 2.5}),
    ("online_processing_rate", "全程网办率", "%", "efficiency", "higher", "rate", 60.0, 5.0, 2.2, 4.2, 1.2, 0, 100, 1, "last", {}),
    ("first_contact_resolution_rate", "一次性办结率", "%", "service_quality", "higher", "rate", 80.0, 3.0, 1.4, 0.7, 1.2, 0, 100, 1, "last", {"sf": -1.2}),
    ("complaint_reopen_rate", "投诉重复工单率", "%", "service_quality", "lower", "rate", 6.2, 1.0, 0.45, -0.28, 0.42, 0, 100, 2, "last", {"winter": 0.3}),
    ("document_error_rate", "办件差错率", "%", "service_quality", "lower", "rate", 1.6, 0.3, 0.14, -0.08, 0.14, 0, 100, 2, "last", {"sf": 0.15}),
    ("callback_24h_rate", "24小时内回访率", "%", "service_quality", "higher", "rate", 87.0, 2.5, 1.2, 0.6, 1.1, 0, 100, 1, "last", {"sf": -1.5}),
    ("satisfaction_score", "群众满意度测评得分", "points", "satisfaction", "higher", "rate", 85.5, 2.0, 1.0, 0.5, 0.8, 0, 100, 1, "mean", {}),
    ("hotline_satisfaction_rate", "12345热线满意率", "%", "satisfaction", "higher", "rate", 89.5, 2.0, 1.0, 0.4, 0.9, 0, 100, 1, "mean", {"winter": -0.7}),
    ("complaints_per_10k", "每万人投诉量", "per 10k residents", "satisfaction", "lower", "level", 9.0, 1.5, 0.7, -0.3, 0.55, 0, None, 2, "mean", {"winter": -0.9, "hol": 0.4}),
    ("good_review_rate", "政务服务好评率", "%", "satisfaction", "higher", "rate", 96.0, 0.7, 0.35, 0.2, 0.35, 0, 100, 2, "mean", {}),
    ("decisions_published_on_time_rate", "重大决策按时公开率", "%", "transparency", "higher", "rate", 91.5, 2.5, 1.1, 0.7, 1.0, 0, 100, 1, "last", {"dec": 0.8}),
    ("disclosure_answered_in_time_rate", "依申请公开按期答复率", "%", "transparency", "higher", "rate", 94.0, 1.5, 0.7, 0.4, 0.8, 0, 100, 1, "last", {"sf": -1.5}),
    ("budget_disclosure_completeness", "预决算公开完整率", "%", "transparency", "higher", "rate", 89.0, 3.0, 1.2, 1.1, 0.9, 0, 100, 1, "last", {}),
    ("policy_interpretation_rate", "政策解读同步发布率", "%", "transparency", "higher", "rate", 76.0, 4.0, 1.8, 2.0, 1.6, 0, 100, 1, "last", {}),
    ("cost_per_case", "单件办理成本", "yuan", "economy", "lower", "level", 320.0, 25.0, 11.0, -7.0, 9.0, 50, None, 1, "mean", {"sf": 18.0}),
    ("budget_execution_rate", "预算执行率(累计)", "%", "economy", "higher", "ytd", 91.0, 1.5, 0.8, 0.5, 0.7, 0, 100, 1, "last", {}),
    ("idle_funds_share", "闲置资金占比", "%", "economy", "lower", "rate", 4.6, 1.0, 0.45, -0.3, 0.33, 0, 100, 2, "last", {"dec": -0.9}),
    ("procurement_savings_rate", "政府采购节支率", "%", "economy", "higher", "rate", 6.4, 1.0, 0.5, 0.15, 0.55, 0, 100, 2, "mean", {}),
    ("air_quality_index", "空气质量指数(月均AQI)", "AQI", "outcome", "lower", "level", 72.0, 6.0, 2.8, -2.4, 4.0, 10, 500, 0, "mean", {"winter": 17.0}),
    ("good_air_days_rate", "空气质量优良天数比例", "%", "outcome", "higher", "rate", 83.0, 4.0, 2.0, 1.0, 2.4, 0, 100, 1, "mean", {"winter": -9.0}),
    ("pm25", "PM2.5月均浓度", "µg/m³", "outcome", "lower", "level", 36.0, 3.0, 1.5, -1.4, 2.3, 3, 300, 1, "mean", {"winter": 13.0}),
    ("waste_sorting_accuracy", "生活垃圾分类准确率", "%", "outcome", "higher", "rate", 77.0, 4.0, 1.9, 2.4, 1.4, 0, 100, 1, "last", {"sf": -1.5}),
    ("graduation_rate", "初中毕业率(滚动12个月)", "%", "outcome", "higher", "rate", 97.0, 0.7, 0.35, 0.18, 0.28, 0, 100, 2, "last", {}),
    ("road_defect_repair_rate", "道路病害按期修复率", "%", "outcome", "higher", "rate", 88.0, 3.0, 1.4, 0.7, 1.4, 0, 100, 1, "last", {"winter": -1.8, "sf": -1.5}),
    ("new_jobs_created", "城镇新增就业人数", "persons", "outcome", "higher", "count", 15.0, 0.12, 0.06, 0.03, 0.06, 0, None, 0, "sum", {"sf": -0.35, "winter": -0.05}),
    ("wastewater_treatment_rate", "污水集中处理率", "%", "outcome", "higher", "rate", 95.0, 1.0, 0.5, 0.3, 0.4, 0, 100, 2, "last", {}),
    ("traffic_accidents", "道路交通事故数", "accidents", "outcome", "lower", "count", 0.6, 0.12, 0.06, -0.04, 0.06, 0, None, 0, "sum", {"hol": 0.1, "winter": 0.08}),
)
_SPEC = pd.DataFrame(
    _I,
    columns=[
        "indicator", "indicator_name_zh", "unit", "dimension", "direction", "kind", "base",
        "group_sd", "district_sd", "trend", "noise", "lo", "hi", "decimals", "aggregation", "season",
    ],
)
_NB_R = 40.0  # negative-binomial size: variance = mu + mu^2 / r

# announced city-wide changes: expected level changes that must not raise alerts
_CHANGES = (
    ("2023-07-01", "online_processing_rate", 6.0,
     "一网通办 reform: most applications can be filed online from July 2023 (announced in May 2023)"),
    ("2023-07-01", "avg_processing_days", -0.9,
     "一网通办 reform: online filing and parallel approval shorten processing from July 2023"),
    ("2024-01-01", "complaints_per_10k", 0.8,
     "new complaint-counting rule: repeated calls about one case are counted separately from 2024"),
)


@dataclass(frozen=True, eq=False)
class SampleCity:
    """A seeded synthetic city. Every field is a pandas DataFrame (except ``seed``).

    Attributes
    ----------
    seed : the seed it was made with
    districts : org_unit, org_unit_name, org_unit_name_en, peer_group, population_10k
    indicators : indicator metadata (passes ``validate_indicators``), one row per series:
        unique_id (``"D01|on_time_completion_rate"``), org_unit, org_unit_name, peer_group,
        indicator, indicator_name_zh, unit, dimension, direction, frequency ("M"),
        aggregation (how its yearly target is assessed), value_type (rate / level / count /
        ytd = cumulative within the year), lower_bound, upper_bound, decimals
    series : monthly KPI series ``unique_id, ds, y`` with the anomalies injected
    series_clean : the same before injection (no NaN)
    demand : daily ``unique_id, ds, y`` of hotline calls and service-hall applications per
        district and for the city (the city equals the sum of its districts)
    demand_clean : ``demand`` before its few injected events
    demand_meta : unique_id, org_unit, channel, parent, level, unit, dimension, frequency
    anomalies : one row per anomalous point: unique_id, ds, kind, category, event_id
    events : one row per injected event: event_id, unique_id, kind, category, start, end,
        n_labelled, magnitude, note
    targets : yearly targets (passes ``validate_targets``)
    changes : announced city-wide changes (expected shifts that must not alert)
    feedback : the bundled citizen-feedback corpus (``load_feedback_corpus()``)
    """

    seed: int
    districts: pd.DataFrame
    indicators: pd.DataFrame
    series: pd.DataFrame
    series_clean: pd.DataFrame
    demand: pd.DataFrame
    demand_clean: pd.DataFrame
    demand_meta: pd.DataFrame
    anomalies: pd.DataFrame
    events: pd.DataFrame
    targets: pd.DataFrame
    changes: pd.DataFrame
    feedback: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every DataFrame field by name (what ``write_sample_city`` writes)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), pd.DataFrame)}


# ---------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------
def load_feedback_corpus() -> pd.DataFrame:
    """The team-written feedback corpus bundled with the package, validated.

    Returns the ``validate_feedback`` output: ``dimensions`` is a list of dimension ids.
    Columns: message_id, text, channel, received_at, org_unit, area, dimensions, lang.
    """
    raw = resources.files("govperf_ml").joinpath(_CORPUS_RESOURCE).read_text(encoding="utf-8")
    df = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False)
    return C.validate_feedback(df, require_labels=True)


def make_sample_city(
    *,
    seed: int = 0,
    n_districts: int = 12,
    start="2021-01-01",
    end="2025-12-31",
) -> SampleCity:
    """Generate the sample city.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same city.
    n_districts : int
        1 to 12 districts (the first ``n_districts`` of the fixed list, over three peer groups).
    start, end : date-like
        The period covered; monthly series run from the month of ``start`` to the month of
        ``end``, daily demand over every day. At least 24 months are needed.
    """
    if not 1 <= int(n_districts) <= len(_DISTRICTS):
        raise ValueError(f"n_districts must be between 1 and {len(_DISTRICTS)}, got {n_districts}")
    start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    months = pd.date_range(start_ts.to_period("M").start_time, end_ts.to_period("M").start_time, freq="MS")
    if len(months) < 24:
        raise ValueError(f"the sample city needs at least 24 months, got {len(months)} ({start} .. {end})")
    rng = np.random.default_rng(seed)

    districts = _make_districts(int(n_districts))
    days = pd.date_range(start_ts, end_ts, freq="D")
    cal = calendar_features(days)
    mfeat = _month_features(months, cal)

    gen = _generate_kpis(rng, districts, months, mfeat)
    indicators = gen["indicators"]
    clean = gen["values"]  # (S, T)
    values = clean.copy()
    sd = gen["sd"]
    meta = indicators.reset_index(drop=True)

    target_ids = _choose_target_series(rng, meta)
    book = _EventBook()
    plan = _plan_events(rng, meta, clean, sd, months, target_ids)
    _apply_events(rng, plan, values, clean, meta, sd, book)
    targets = _make_targets(rng, meta, values, clean, sd, months, target_ids, plan, book)

    series_clean = _long(meta[C.ID].to_numpy(), months, clean)
    series = _long(meta[C.ID].to_numpy(), months, values)

    demand_clean, demand_meta = _generate_demand(rng, districts, days, cal)
    demand = _inject_demand_events(rng, demand_clean, demand_meta, cal, book)

    anomalies, events = book.frames()
    changes = pd.DataFrame(
        [
            {"ds": pd.Timestamp(ds), "org_unit": "ALL", "indicator": ind, "effect": eff, "description": desc}
            for ds, ind, eff, desc in _CHANGES
            if months[0] <= pd.Timestamp(ds) <= months[-1]
        ],
        columns=["ds", "org_unit", "indicator", "effect", "description"],
    )
    series, series_clean, demand, demand_clean, anomalies, changes = (
        _ns_dates(f) for f in (series, series_clean, demand, demand_clean, anomalies, changes)
    )
    return SampleCity(
        seed=int(seed),
        districts=districts,
        indicators=C.validate_indicators(indicators),
        series=series,
        series_clean=series_clean,
        demand=demand,
        demand_clean=demand_clean,
        demand_meta=demand_meta,
        anomalies=anomalies,
        events=events,
        targets=C.validate_targets(targets),
        changes=changes,
        feedback=load_feedback_corpus(),
    )


def _ns_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """One datetime resolution everywhere (pandas 3 picks µs or ns by constructor)."""
    cols = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    return frame.astype({c: "datetime64[ns]" for c in cols}) if cols else frame


def write_sample_city(city: SampleCity, folder) -> dict[str, Path]:
    """Write every frame of ``city`` as ``<folder>/<name>.csv``; return name -> path.

    List-valued cells (the feedback ``dimensions``) are joined with ';'. Dates are written
    in ISO format. The folder is created if needed.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, frame in city.frames().items():
        out = frame.copy()
        for col in out.columns:
            if out[col].dtype == object and out[col].map(lambda v: isinstance(v, (list, tuple))).any():
                out[col] = out[col].map(lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
        path = folder / f"{name}.csv"
        out.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        written[name] = path
    return written


# ---------------------------------------------------------------------------------------
# Districts and calendar
# ---------------------------------------------------------------------------------------
def _make_districts(n: int) -> pd.DataFrame:
    rows = _DISTRICTS[:n]
    return pd.DataFrame(
        rows, columns=[C.ORG_UNIT, "org_unit_name", "org_unit_name_en", "peer_group", "population_10k"]
    )


def _month_features(months: pd.DatetimeIndex, cal: pd.DataFrame) -> pd.DataFrame:
    """Monthly calendar covariates in [0, 1]-ish units, used by the KPI generator."""
    period = cal.index.to_period("M")
    sf = (cal["holiday_name"] == "Spring Festival").groupby(period).sum() / 7.0
    other = ((cal["holiday_name"] != "") & (cal["holiday_name"] != "Spring Festival")).groupby(period).sum() / 7.0
    mp = months.to_period("M")
    m = months.month.to_numpy()
    out = pd.DataFrame(
        {
            "sf": sf.reindex(mp, fill_value=0).to_numpy(dtype=float).clip(0, 1.2),
            "hol": other.reindex(mp, fill_value=0).to_numpy(dtype=float).clip(0, 1.2),
            "winter": np.cos(2 * np.pi * (m - 1) / 12.0),
            "dec": (m == 12).astype(float),
            "ytd": m / 12.0,
            "t_years": (np.arange(len(months)) / 12.0),
        },
        index=months,
    )
    return out


# ---------------------------------------------------------------------------------------
# Monthly KPIs
# ---------------------------------------------------------------------------------------
def _squash(x: np.ndarray, hi: float, margin: float) -> np.ndarray:
    """Smoothly compress values that approach an upper bound (keeps rates below 100)."""
    knee = hi - margin
    over = x > knee
    y = x.copy()
    y[over] = hi - margin * np.exp(-(x[over] - knee) / margin)
    return y


def _generate_kpis(rng, districts: pd.DataFrame, months: pd.DatetimeIndex, mf: pd.DataFrame) -> dict:
    n_d, n_t = len(districts), len(months)
    groups = districts["peer_group"].to_numpy()
    pop = districts["population_10k"].to_numpy(dtype=float)
    t_years = mf["t_years"].to_numpy()
    rows, blocks, sds = [], [], []
    for spec in _SPEC.itertuples(index=False):
        # peer structure: three separated group levels, districts scattered around them
        order = rng.permutation(3) - 1.0
        g_off = {g: spec.group_sd * (order[i] + rng.normal(0, 0.15)) for i, g in enumerate(_PEER_GROUPS)}
        d_off = np.array([g_off[g] for g in groups]) + rng.normal(0, spec.district_sd, n_d)
        trend_mult = np.where(groups == "new_zone", 1.4, np.where(groups == "urban_core", 0.8, 1.0))
        trend = spec.trend * trend_mult * rng.lognormal(0, 0.25, n_d)
        noise_sd = spec.noise * rng.uniform(0.8, 1.25, n_d)
        season = np.zeros(n_t)
        for feat, coef in spec.season.items():
            season = season + coef * mf[feat].to_numpy()
        change = np.zeros(n_t)
        for ds, ind, eff, _ in _CHANGES:
            if ind == spec.indicator:
                change = change + eff * (months >= pd.Timestamp(ds))
        # AR(1) noise, phi = 0.35
        z = rng.normal(size=(n_d, n_t))
        e = np.empty_like(z)
        e[:, 0] = z[:, 0]
        for t in range(1, n_t):
            e[:, t] = 0.35 * e[:, t - 1] + np.sqrt(1 - 0.35**2) * z[:, t]
        if spec.kind == "count":
            log_mu = (
                np.log(spec.base * pop)[:, None]
                + d_off[:, None]
                + trend[:, None] * t_years[None, :]
                + season[None, :]
                + spec.noise * e
            )
            mu = np.exp(log_mu)
            y = rng.negative_binomial(_NB_R, _NB_R / (_NB_R + mu)).astype(float)
            sd = np.sqrt(mu.mean(axis=1) + mu.mean(axis=1) ** 2 / _NB_R + (spec.noise * mu.mean(axis=1)) ** 2)
        elif spec.kind == "ytd":
            m = mf["ytd"].to_numpy()
            level = spec.base + d_off[:, None] + trend[:, None] * t_years[None, :]
            year_end = _squash(level, 99.5, 2.0)
            # spending accelerates through the year and jumps in December (cycle end)
            path = year_end * np.where(m < 1.0, 0.88 * m**1.2, 1.0)[None, :]
            y = path + noise_sd[:, None] * np.sqrt(m)[None, :] * e
            y = np.clip(y, 0.5, 100.0)
            sd = noise_sd.copy()
        else:
            mu = spec.base + d_off[:, None] + trend[:, None] * t_years[None, :] + season[None, :] + change[None, :]
            if spec.kind == "rate":
                # improvement slows down near 100%: the mean stays 2.5 noise sd below it
                mu = _squash(mu, float(spec.hi) - 2.5 * spec.noise, 3.0 * spec.noise)
            y = mu + noise_sd[:, None] * e
            y = np.clip(y, spec.lo, spec.hi if spec.hi is not None and not pd.isna(spec.hi) else None)
            sd = noise_sd.copy()
        y = np.round(y, int(spec.decimals))
        blocks.append(y)
        sds.append(sd)
        for i, d in enumerate(districts.itertuples(index=False)):
            rows.append(
                {
                    C.ID: f"{d.org_unit}|{spec.indicator}",
                    C.ORG_UNIT: d.org_unit,
                    "org_unit_name": d.org_unit_name,
                    "peer_group": d.peer_group,
                    C.INDICATOR: spec.indicator,
                    "indicator_name_zh": spec.indicator_name_zh,
                    C.UNIT: spec.unit,
                    C.DIMENSION: spec.dimension,
                    C.DIRECTION: spec.direction,
                    C.FREQUENCY: "M",
                    C.AGGREGATION: spec.aggregation,
                    "value_type": spec.kind,
                    "lower_bound": float(spec.lo) if spec.lo is not None else np.nan,
                    "upper_bound": float(spec.hi) if spec.hi is not None and not pd.isna(spec.hi) else np.nan,
                    "decimals": int(spec.decimals),
                }
            )
    indicators = pd.DataFrame(rows)
    values = np.vstack(blocks)
    # rounding can repeat a value by chance; break natural runs of three equal values by
    # one rounding unit, so that any run of 3+ equal values is an injected flat line
    unit = 10.0 ** -indicators["decimals"].to_numpy(dtype=float)
    hi = indicators["upper_bound"].to_numpy(dtype=float)
    for t in range(2, values.shape[1]):
        rep = (values[:, t] == values[:, t - 1]) & (values[:, t - 1] == values[:, t - 2])
        if rep.any():
            up = values[:, t] + unit
            nudged = np.where(np.isfinite(hi) & (up > hi), values[:, t] - unit, up)
            values[rep, t] = np.round(nudged[rep], indicators["decimals"].to_numpy()[rep].max())
    return {"indicators": indicators, "values": values, "sd": np.concatenate(sds)}


def _long(ids: np.ndarray, months: pd.DatetimeIndex, values: np.ndarray) -> pd.DataFrame:
    n_s, n_t = values.shape
    df = pd.DataFrame(
        {
            C.ID: np.repeat(ids, n_t),
            C.DS: np.tile(months.to_numpy(), n_s),
            C.Y: values.reshape(-1),
        }
    )
    return df.sort_values([C.ID, C.DS], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# Anomaly bookkeeping
# ---------------------------------------------------------------------------------------
class _EventBook:
    """Collects injected events and their labelled points."""

    def __init__(self):
        self.events: list[dict] = []
        self.labels: list[dict] = []

    def add(self, uid: str, kind: str, start, end, labelled, magnitude: float, note: str) -> str:
        event_id = f"EV{len(self.events) + 1:04d}"
        category = ANOMALY_CATEGORIES[kind]
        labelled = list(labelled)
        self.events.append(
            {
                "event_id": event_id,
                C.ID: uid,
                "kind": kind,
                "category": category,
                "start": pd.Timestamp(start),
                "end": pd.Timestamp(end),
                "n_labelled": len(labelled),
                "magnitude": float(magnitude),
                "note": note,
            }
        )
        for ds in labelled:
            self.labels.append({C.ID: uid, C.DS: pd.Timestamp(ds), "kind": kind, "category": category, "event_id": event_id})
        return event_id

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        anomalies = pd.DataFrame(self.labels, columns=[C.ID, C.DS, "kind", "category", "event_id"])
        anomalies[C.DS] = anomalies[C.DS].astype("datetime64[ns]")
        anomalies = anomalies.sort_values([C.ID, C.DS], kind="stable").reset_index(drop=True)
        events = pd.DataFrame(
            self.events,
            columns=["event_id", C.ID, "kind", "category", "start", "end", "n_labelled", "magnitude", "note"],
        )
        return anomalies, events


def _choose_target_series(rng, meta: pd.DataFrame, n_target: int = 100) -> np.ndarray:
    """About 100 series with yearly targets, spread over all indicators and districts."""
    per_ind = meta.groupby(C.INDICATOR, sort=False).indices
    chosen: list[int] = []
    k = max(1, n_target // len(per_ind))
    for ind in per_ind:
        idx = per_ind[ind]
        chosen.extend(rng.choice(idx, size=min(k, len(idx)), replace=False).tolist())
    rest = np.setdiff1d(np.arange(len(meta)), chosen)
    extra = n_target - len(chosen)
    if extra > 0 and len(rest):
        chosen.extend(rng.choice(rest, size=min(extra, len(rest)), replace=False).tolist())
    return np.array(sorted(chosen))


def _plan_events(rng, meta, clean, sd, months, target_ids) -> list[dict]:
    """Decide where each event goes (non-overlapping, one month of space around each)."""
    n_s, n_t = clean.shape
    busy = np.zeros((n_s, n_t), dtype=bool)
    kind_of = meta["value_type"].to_numpy()
    direction = meta[C.DIRECTION].to_numpy()
    unit = meta[C.UNIT].to_numpy()
    hi = meta["upper_bound"].to_numpy(dtype=float)
    year = months.year.to_numpy()
    month = months.month.to_numpy()
    target_years = sorted(set(year))[1:]
    plan: list[dict] = []
    warmup = min(12, n_t // 3)

    def free(s, a, b):
        return a >= 0 and b <= n_t and not busy[s, max(0, a - 1) : min(n_t, b + 1)].any()

    # the full city (360 series) gets _N_EVENTS; a smaller one proportionally fewer
    share = min(1.0, n_s / (len(_DISTRICTS) * len(_SPEC)))

    def take(kind, candidates, length_fn, start_fn, tries=4000):
        made = 0
        wanted = max(1, int(round(_N_EVENTS[kind] * share)))
        for _ in range(tries):
            if made >= wanted:
                break
            s = int(rng.choice(candidates))
            length = int(length_fn())
            t0 = int(start_fn(length))
            if t0 < 0 or not free(s, t0, t0 + length):
                continue
            if kind == "level_shift" and any(p["s"] == s and p["kind"] == "level_shift" for p in plan):
                continue
            if kind == "end_of_period_jump":
                room = (hi[s] - clean[s, t0]) if direction[s] == "higher" and np.isfinite(hi[s]) else np.inf
                if room < 4.0 * sd[s]:
                    continue
            busy[s, t0 : t0 + length] = True
            plan.append({"kind": kind, "s": s, "t0": t0, "length": length})
            made += 1
        if made < wanted:  # pragma: no cover - the city is far from full
            raise RuntimeError(f"could not place {wanted} {kind} events")

    all_s = np.arange(n_s)
    not_ytd = all_s[kind_of != "ytd"]
    higher = not_ytd[direction[not_ytd] == "higher"]
    lower = not_ytd[direction[not_ytd] == "lower"]
    # bunching: within one target year, a target series that is not a count
    bunch_cands = np.array([s for s in target_ids if kind_of[s] in ("rate", "level")])
    years_ok = [y for y in target_years if (year == y).sum() == 12]

    def bunch_start(length):
        y = years_ok[int(rng.integers(len(years_ok)))]
        dec = int(np.flatnonzero((year == y) & (month == 12))[0])
        return dec - length + 1

    take("bunching", bunch_cands, lambda: rng.integers(8, 13), bunch_start)
    take("level_shift", not_ytd, lambda: 2, lambda L: rng.integers(warmup, n_t - 6))
    # raw counts scale with population, so districts are compared on rates and levels only
    not_count = not_ytd[kind_of[not_ytd] != "count"]
    take("peer_outlier", not_count, lambda: rng.integers(5, 8), lambda L: rng.integers(warmup, n_t - L))
    pct_or_other = np.array([s for s in all_s if unit[s] in ("%", "points", "per 10k residents", "yuan")])
    take("scale_change", pct_or_other, lambda: rng.integers(2, 7), lambda L: rng.integers(warmup, n_t - L))
    take("flat_line", all_s, lambda: rng.integers(4, 8), lambda L: rng.integers(warmup, n_t - L))
    decembers = np.flatnonzero(month == 12)
    take("end_of_period_jump", not_ytd, lambda: 1, lambda L: decembers[int(rng.integers(len(decembers)))])
    take("missing", all_s, lambda: rng.choice([1, 1, 1, 2, 3]), lambda L: rng.integers(3, n_t - L))
    take("spike", lower, lambda: 1, lambda L: rng.integers(warmup, n_t))
    take("dip", higher, lambda: 1, lambda L: rng.integers(warmup, n_t))
    take("blank_as_zero", all_s, lambda: 1, lambda L: rng.integers(warmup, n_t))
    for p in plan:
        p["months"] = months[p["t0"] : p["t0"] + p["length"]]
        p["year"] = int(year[p["t0"] + p["length"] - 1])
    return plan


def _apply_events(rng, plan, values, clean, meta, sd, book) -> None:
    """Inject every planned event except bunching (which needs the year's target)."""
    ids = meta[C.ID].to_numpy()
    indicator = meta[C.INDICATOR].to_numpy()
    group = meta["peer_group"].to_numpy()
    direction = meta[C.DIRECTION].to_numpy()
    unit = meta[C.UNIT].to_numpy()
    lo = meta["lower_bound"].to_numpy(dtype=float)
    hi = meta["upper_bound"].to_numpy(dtype=float)
    dec = meta["decimals"].to_numpy()
    n_t = values.shape[1]

    def bound(s, x):
        a = lo[s] if np.isfinite(lo[s]) else -np.inf
        b = hi[s] if np.isfinite(hi[s]) else np.inf
        return np.round(np.clip(x, a, b), int(dec[s]))

    def move(s, x, delta):
        """x + delta, with delta limited to 60% of the room to the lower bound and 80%
        of the room to the upper bound (a dip never reaches 0, a rate never 100)."""
        x = np.asarray(x, dtype=float)
        delta = np.broadcast_to(np.asarray(delta, dtype=float), x.shape)
        a = lo[s] if np.isfinite(lo[s]) else -np.inf
        b = hi[s] if np.isfinite(hi[s]) else np.inf
        delta = np.where(delta < 0, np.maximum(delta, -0.6 * (x - a)), np.minimum(delta, 0.8 * (b - x)))
        return bound(s, x + delta)

    # persisting changes first, so later events sit on the shifted level
    order = ["level_shift", "peer_outlier", "spike", "dip", "end_of_period_jump", "flat_line", "scale_change", "blank_as_zero", "missing"]
    for kind in order:
        for p in (q for q in plan if q["kind"] == kind):
            s, t0, L, ms = p["s"], p["t0"], p["length"], p["months"]
            bad = -1.0 if direction[s] == "higher" else 1.0
            if kind == "level_shift":
                k = rng.uniform(4.0, 7.0)
                values[s, t0:] = move(s, values[s, t0:], bad * k * sd[s])
                end = ms[0] + pd.offsets.MonthBegin(n_t - t0 - 1)
                p["event_id"] = book.add(ids[s], kind, ms[0], end, ms[:2], bad * k * sd[s],
                                         f"persisting shift of {k:.1f} sd in the bad direction; first 2 points labelled")
            elif kind == "peer_outlier":
                # drift to well beyond the peer group (same indicator, same peer group):
                # k peer spreads past the group's median, reached over 3 months
                peers = np.flatnonzero((indicator == indicator[s]) & (group == group[s]) & (np.arange(len(ids)) != s))
                if len(peers) == 0:
                    peers = np.flatnonzero((indicator == indicator[s]) & (np.arange(len(ids)) != s))
                k = rng.uniform(4.0, 6.0)
                window = slice(t0, t0 + L)
                if len(peers):
                    peer_mid = np.median(clean[peers, window], axis=0).mean()
                    # the peers' spread: their level differences and their noise, pooled
                    spread = max(sd[s], float(np.std(clean[peers, window], ddof=1)) if clean[peers, window].size > 1 else 0.0)
                else:
                    peer_mid, spread = clean[s, window].mean(), sd[s]
                gap = peer_mid + bad * k * spread - clean[s, window].mean()
                gap = bad * max(bad * gap, 4.0 * sd[s])
                ramp = np.minimum(1.0, (np.arange(L) + 1) / 3.0)
                values[s, window] = move(s, values[s, window], gap * ramp)
                lab = ms[ramp >= 0.66]
                p["event_id"] = book.add(ids[s], kind, ms[0], ms[-1], lab, gap,
                                         f"drifts to {k:.1f} peer spreads past its peer group's median over 3 months, holds, then returns; points at >= 2/3 of the gap labelled")
            elif kind in ("spike", "dip"):
                k = rng.uniform(5.0, 9.0)
                values[s, t0] = move(s, values[s, t0], bad * k * sd[s])
                p["event_id"] = book.add(ids[s], kind, ms[0], ms[0], ms, bad * k * sd[s],
                                         f"one-month {'rise' if bad > 0 else 'drop'} of {k:.1f} sd in a {direction[s]}-is-better indicator")
            elif kind == "end_of_period_jump":
                k = rng.uniform(4.0, 7.0)
                values[s, t0] = move(s, values[s, t0], -bad * k * sd[s])
                p["event_id"] = book.add(ids[s], kind, ms[0], ms[0], ms, -bad * k * sd[s],
                                         f"December improves by {k:.1f} sd before the year-end assessment")
            elif kind == "flat_line":
                values[s, t0 : t0 + L] = values[s, t0 - 1]
                p["event_id"] = book.add(ids[s], kind, ms[0], ms[-1], ms, 0.0,
                                         f"the value of the previous month copied into {L} months")
            elif kind == "scale_change":
                factor = 0.01 if unit[s] in ("%", "points") else 100.0
                values[s, t0 : t0 + L] = np.round(values[s, t0 : t0 + L] * factor, int(dec[s]) + 2)
                p["event_id"] = book.add(ids[s], kind, ms[0], ms[-1], ms, factor,
                                         f"reported x{factor:g} for {L} months ({'a fraction instead of a percent' if factor < 1 else 'a wrong unit'}), then corrected")
            elif kind == "blank_as_zero":
                values[s, t0] = 0.0
                p["event_id"] = book.add(ids[s], kind, ms[0], ms[0], ms, 0.0, "a blank submission stored as 0")
            elif kind == "missing":
                values[s, t0 : t0 + L] = np.nan
                p["event_id"] = book.add(ids[s], kind, ms[0], ms[-1], ms, np.nan, f"no submission for {L} month(s)")


# ---------------------------------------------------------------------------------------
# Targets (and bunching, which sits just above them)
# ---------------------------------------------------------------------------------------
_AMBITION = (("easy", 0.30, (-1.8, -0.4)), ("moderate", 0.45, (0.0, 1.2)), ("stretch", 0.25, (1.4, 3.0)))


def _agg_sd(aggregation: str, sd: float) -> float:
    """Rough spread of a yearly aggregate, in the units of the target."""
    if aggregation == "sum":
        return sd * np.sqrt(12.0) * 1.4
    if aggregation == "mean":
        return sd * 0.55
    return sd


def _make_targets(rng, meta, values, clean, sd, months, target_ids, plan, book) -> pd.DataFrame:
    """Yearly targets set each 1 January from the previous year's figures; bunching injected here."""
    year = months.year.to_numpy()
    ids = meta[C.ID].to_numpy()
    direction = meta[C.DIRECTION].to_numpy()
    agg = meta[C.AGGREGATION].to_numpy()
    kind_of = meta["value_type"].to_numpy()
    dec = meta["decimals"].to_numpy()
    hi = meta["upper_bound"].to_numpy(dtype=float)
    bunch = {(p["s"], p["year"]): p for p in plan if p["kind"] == "bunching"}
    names = [a[0] for a in _AMBITION]
    probs = [a[1] for a in _AMBITION]
    # the prior-year figures a department works from have their data errors corrected
    # (missing, blank-as-zero, unit and copy-paste errors dropped); real changes and
    # misreported values stay in
    corrected = np.zeros(values.shape, dtype=bool)
    for p in plan:
        if ANOMALY_CATEGORIES[p["kind"]] == "data_quality":
            corrected[p["s"], p["t0"] : p["t0"] + p["length"]] = True
    rows = []
    years = [y for y in sorted(set(year))[1:] if (year == y).sum() == 12]
    for y in years:
        prev = year == y - 1
        for s in target_ids:
            v = np.where(corrected[s, prev], np.nan, values[s, prev])
            good = 1.0 if direction[s] == "higher" else -1.0
            if agg[s] == "sum":
                baseline = float(np.nanmedian(v) * prev.sum()) if np.isfinite(v).any() else float(np.nansum(clean[s, prev]))
            elif agg[s] == "mean":
                baseline = float(np.nanmedian(v)) if np.isfinite(v).any() else float(clean[s, prev].mean())
            elif kind_of[s] == "ytd":
                baseline = float(clean[s, prev][-1])
            else:
                last3 = v[np.isfinite(v)][-3:]
                baseline = float(np.median(last3)) if len(last3) else float(clean[s, prev][-3:].mean())
            level = names[int(rng.choice(len(names), p=probs))]
            lo_k, hi_k = dict((a[0], a[2]) for a in _AMBITION)[level]
            step = rng.uniform(lo_k, hi_k) * _agg_sd(agg[s], sd[s])
            target = baseline + good * step
            p = bunch.get((s, y))
            if p is not None:
                # a target this district would miss: it reports values just past it instead
                window = clean[s, p["t0"] : p["t0"] + p["length"]]
                need = window.mean() + good * 1.5 * sd[s]
                target = max(target, need) if good > 0 else min(target, need)
                level = "stretch"
            if np.isfinite(hi[s]):
                target = min(target, hi[s] - 0.5)
            target = max(target, 0.0)
            d = int(dec[s]) if agg[s] != "sum" else 0
            target = float(np.round(target, min(d, 1) if kind_of[s] != "count" else 0))
            if p is not None:
                t0, L = p["t0"], p["length"]
                step_unit = 10.0 ** -int(dec[s])
                offset = np.abs(rng.uniform(0.02, 0.45, L)) * sd[s]
                offset = np.maximum(np.round(offset, int(dec[s])), step_unit)
                vals = target + good * offset
                if np.isfinite(hi[s]):
                    vals = np.minimum(vals, hi[s])
                values[s, t0 : t0 + L] = np.round(vals, int(dec[s]))
                p["event_id"] = book.add(ids[s], "bunching", p["months"][0], p["months"][-1], p["months"], target,
                                         f"{L} months reported just {'above' if good > 0 else 'below'} the {y} target {target:g}")
            rows.append(
                {
                    "target_id": f"{ids[s]}@{y}",
                    C.ID: ids[s],
                    C.ORG_UNIT: meta[C.ORG_UNIT].iat[s],
                    C.INDICATOR: meta[C.INDICATOR].iat[s],
                    C.START: pd.Timestamp(year=y, month=1, day=1),
                    C.DEADLINE: pd.Timestamp(year=y, month=12, day=31),
                    C.TARGET: target,
                    C.DIRECTION: direction[s],
                    C.AGGREGATION: agg[s],
                    "baseline": round(baseline, 3),
                    "ambition": level,
                    C.UNIT: meta[C.UNIT].iat[s],
                }
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# Daily demand: 12345 hotline calls and service-hall applications
# ---------------------------------------------------------------------------------------
def _generate_demand(rng, districts: pd.DataFrame, days: pd.DatetimeIndex, cal: pd.DataFrame):
    n_t = len(days)
    doy = days.dayofyear.to_numpy()
    dow = days.dayofweek.to_numpy()
    work = cal["is_workday"].to_numpy()
    hol = cal["is_holiday"].to_numpy()
    name = cal["holiday_name"].to_numpy()
    t_years = (days - days[0]).days.to_numpy() / 365.25
    # the first working day after a rest run of 3+ days: people come back with their errands
    rest_run = np.zeros(n_t, dtype=int)
    for t in range(1, n_t):
        rest_run[t] = rest_run[t - 1] + 1 if not work[t - 1] else 0
    after_long = work & (rest_run >= 3)
    after_long2 = np.r_[False, after_long[:-1]] & work
    sf_core = hol & (name == "Spring Festival")
    month_end = np.zeros(n_t, dtype=bool)
    period = days.to_period("M")
    for p in np.unique(period):
        idx = np.flatnonzero((period == p) & work)
        month_end[idx[-3:]] = True

    # hotline: open every day; quieter on rest days and much quieter on holidays
    hot_day = np.where(work, 1.0, np.where(dow == 5, 0.72, 0.64))
    hot_day = np.where(hol, 0.5, hot_day)
    hot_day = np.where(sf_core, 0.38, hot_day)
    hot_day = hot_day * np.where(after_long, 1.18, 1.0) * np.where(dow == 0, 1.05, 1.0)
    hot_year = 1 + 0.12 * np.exp(-0.5 * ((doy - 200) / 28.0) ** 2) + 0.07 * np.exp(-0.5 * ((doy - 335) / 20.0) ** 2)
    # service halls: closed on holidays, a Saturday-morning window, rushes after holidays
    hall_day = np.where(work, 1.0, np.where(dow == 5, 0.16, 0.03))
    hall_day = np.where(hol, 0.02, hall_day)
    hall_day = hall_day * np.where(after_long, 1.4, 1.0) * np.where(after_long2, 1.15, 1.0) * np.where(month_end & work, 1.08, 1.0)
    hall_year = 1 + np.select(
        [days.month == 3, days.month == 8, days.month == 12, days.month == 2], [0.1, 0.06, 0.07, -0.08], 0.0
    )

    rows_meta = []
    clean = {}
    for channel, per10k, day_eff, year_eff, trend_core, trend_new, unit in (
        ("hotline", 11.0, hot_day, hot_year, 0.05, 0.12, "calls"),
        ("service_hall", 4.5, hall_day, hall_year, -0.04, 0.05, "applications"),
    ):
        city_id = f"CITY|{channel}"
        total = np.zeros(n_t)
        for d in districts.itertuples(index=False):
            trend = trend_new if d.peer_group == "new_zone" else trend_core
            trend = trend * rng.lognormal(0, 0.2)
            z = rng.normal(size=n_t)
            e = np.empty(n_t)
            e[0] = z[0]
            for t in range(1, n_t):
                e[t] = 0.5 * e[t - 1] + np.sqrt(1 - 0.25) * z[t]
            mu = d.population_10k * per10k * rng.uniform(0.85, 1.15) * day_eff * year_eff * np.exp(trend * t_years + 0.05 * e)
            y = rng.negative_binomial(_NB_R, _NB_R / (_NB_R + mu)).astype(float)
            uid = f"{d.org_unit}|{channel}"
            clean[uid] = y
            total += y
            rows_meta.append({C.ID: uid, C.ORG_UNIT: d.org_unit, "channel": channel, "parent": city_id, "level": "district",
                              C.UNIT: unit, C.DIMENSION: "demand", C.FREQUENCY: "D"})
        clean[city_id] = total
        rows_meta.append({C.ID: city_id, C.ORG_UNIT: "CITY", "channel": channel, "parent": "", "level": "city",
                          C.UNIT: unit, C.DIMENSION: "demand", C.FREQUENCY: "D"})
    meta = pd.DataFrame(rows_meta).sort_values(C.ID, kind="stable").reset_index(drop=True)
    ids = meta[C.ID].to_numpy()
    frame = pd.DataFrame(
        {
            C.ID: np.repeat(ids, n_t),
            C.DS: np.tile(days.to_numpy(), len(ids)),
            C.Y: np.concatenate([clean[u] for u in ids]),
        }
    )
    return frame, meta


def _inject_demand_events(rng, demand_clean: pd.DataFrame, meta: pd.DataFrame, cal: pd.DataFrame, book) -> pd.DataFrame:
    """A few labelled district events: burst of calls (spike), service outage (dip).

    The city totals are recomputed from the districts, so they carry a diluted copy of
    each event; only the district rows are labelled.
    """
    days = cal.index
    n_t = len(days)
    work = cal["is_workday"].to_numpy()
    district_meta = meta[meta["level"] == "district"]
    wide = {uid: g[C.Y].to_numpy().copy() for uid, g in demand_clean.groupby(C.ID, sort=False)}
    busy: dict[str, list[int]] = {}
    for kind, n in _N_DEMAND_EVENTS.items():
        made = 0
        while made < n:
            row = district_meta.iloc[int(rng.integers(len(district_meta)))]
            uid, channel = row[C.ID], row["channel"]
            if kind == "spike" and channel != "hotline":
                continue
            t0 = int(rng.integers(min(60, n_t // 4), n_t - 3))
            if not work[t0]:
                continue
            L = int(rng.integers(1, 3)) if kind == "spike" else 1
            if any(abs(t0 - b) < 10 for b in busy.get(uid, [])):
                continue
            busy.setdefault(uid, []).append(t0)
            y = wide[uid]
            if kind == "spike":
                factor = rng.uniform(2.0, 3.5)
                note = f"a burst of calls (x{factor:.1f}) about a water-main break / power cut"
            else:
                factor = rng.uniform(0.1, 0.35)
                note = f"a system outage cut {'calls taken' if channel == 'hotline' else 'applications'} to x{factor:.2f}"
            y[t0 : t0 + L] = np.round(y[t0 : t0 + L] * factor)
            ds = days[t0 : t0 + L]
            book.add(uid, kind, ds[0], ds[-1], ds, factor, note)
            made += 1
    for parent, g in district_meta.groupby("parent", sort=False):
        wide[parent] = np.sum([wide[u] for u in g[C.ID]], axis=0)
    ids = meta[C.ID].to_numpy()
    return pd.DataFrame(
        {
            C.ID: np.repeat(ids, n_t),
            C.DS: np.tile(days.to_numpy(), len(ids)),
            C.Y: np.concatenate([wide[u] for u in ids]),
        }
    )
