"""Multi-dimensional comparison (多维对比): districts × service dimensions and districts ×
indicators as heat maps against peers or target for a chosen period, the ranking on one
indicator with rank changes, and its trend over the last N periods; each table as CSV or XLSX.

Standardisation (see :mod:`govperf_ml.comparison`): a robust z-score against the peers
(median and MAD, direction applied, so positive is better), or the gap to the target in %
of the target (positive: target met). Heat maps are coloured HTML tables (readable by
screen readers, selectable, sharp CJK text, scrolling on a phone), coloured by
:func:`govperf_ml.plots.heatmap.cell_bin` (one CSS class a step).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.console import compare_view as view
from api.console.downloads import Shown, download, filename
from api.console.formats import month_text
from api.console.i18n import translator
from api.console.names import indicator_info, indicator_name, peer_group, unit_name
from api.console.web import ANALYSTS, ConsoleError, ViewerDep, lang_of, render, require_role
from api.deps import SessionDep
from govperf_ml.comparison import COMPARE_TO, compare_dimensions, compare_units, rank_history
from govperf_ml.plots import series_chart, to_svg
from govperf_ml.plots.heatmap import cell_bin

router = APIRouter(prefix="/console/compare", include_in_schema=False)
PAGE = "/console/compare"
PARTS = ("dimensions", "indicators", "ranking", "trend")
PEERS = ("all", "group")
TREND_PERIODS = (6, 12, 24)


@dataclass
class Params:
    period: pd.Timestamp
    compare_to: str = "previous"
    peers: str = "all"
    metric: str = "z"
    dimension: str = ""
    indicator: str = ""
    unit: str = ""
    n: int = 12

    def query(self) -> str:
        from urllib.parse import urlencode

        return urlencode({"period": f"{self.period:%Y-%m-%d}", "compare_to": self.compare_to, "peers": self.peers,
                          "metric": self.metric, "dimension": self.dimension, "indicator": self.indicator,
                          "unit": self.unit, "n": self.n})


def _unknown(what: str, value: str) -> ConsoleError:
    return ConsoleError(404, "cmp_err_unknown", what=what, value=str(value)[:100], back=PAGE)


def _params(q, stored: list[pd.Timestamp]) -> Params:
    """The page's choices from the query string; 404 naming any unknown one."""
    period = stored[0]
    if q.get("period"):
        try:
            period = pd.Timestamp(q["period"])
        except ValueError:
            raise _unknown("period", q["period"]) from None
        if period not in stored:
            raise _unknown("period", q["period"])
    p = Params(period=period)
    for name, allowed in (("compare_to", COMPARE_TO), ("peers", PEERS), ("metric", view.METRICS)):
        value = q.get(name) or getattr(p, name)
        if value not in allowed:
            raise _unknown(name, value)
        setattr(p, name, value)
    n = q.get("n") or str(p.n)
    if not n.isdigit() or int(n) not in TREND_PERIODS:
        raise _unknown("n", n)
    p.n, p.dimension, p.indicator, p.unit = int(n), q.get("dimension", ""), q.get("indicator", ""), q.get("unit", "")
    return p


def _compute(session, p: Params, stored: list[pd.Timestamp]) -> dict:
    earlier = [d for d in stored if d <= p.period]
    start = min(p.period - pd.DateOffset(years=1), earlier[min(p.n, len(earlier)) - 1])
    obs = view.observations(session, start, p.period)
    meta, left_out = view.indicator_meta(obs, indicator_info)
    obs = obs[obs["indicator"].isin(meta["indicator"])]
    groups = {u: peer_group(u) or view.OTHER for u in obs["org_unit"].unique()} if p.peers == "group" else None
    table = compare_units(obs, meta, view.targets(session), p.period, peer_groups=groups, compare_to=p.compare_to)
    dims = [d for d in view.DIMENSION_ORDER if d in set(table["dimension"])]
    if p.dimension and p.dimension not in dims:
        raise _unknown("dimension", p.dimension)
    shown = table[table["dimension"] == p.dimension] if p.dimension else table
    indicators = list(dict.fromkeys(shown["indicator"]))
    p.indicator = p.indicator or indicators[0]
    if p.indicator not in set(table["indicator"]):
        raise _unknown("indicator", p.indicator)
    p.unit = p.unit or sorted(table["unit"].unique())[0]
    if p.unit not in set(table["unit"]):
        raise _unknown("unit", p.unit)
    hist = rank_history(obs, meta, p.period, p.n, indicator=p.indicator, peer_groups=groups)
    return {"table": table, "shown": shown, "dims": compare_dimensions(table), "dim_list": dims,
            "indicators": indicators, "hist": hist, "left_out": left_out}


def _r(value, digits: int):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), digits)


def _heat(wide: pd.DataFrame, corner: str, columns: list[str], rows: list[str], limit: float, notes) -> view.Heat:
    heat = view.Heat(corner=corner, columns=columns, rows=rows)
    for i in range(len(rows)):
        values = [_r(v, 1) for v in wide.iloc[i].tolist()]
        heat.values.append(values)
        heat.colors.append([_css(cell_bin(v, limit)) for v in values])
        heat.notes.append([notes(i, j) for j in range(len(columns))])
    return heat


def _css(step: int | None) -> str:
    """The cell's CSS class (the console's CSP allows no inline styles)."""
    return "heat-na" if step is None else (f"heat-m{-step}" if step < 0 else f"heat-p{step}")


def _metric_col(p: Params) -> str:
    return "z_vs_peers" if p.metric == "z" else "vs_target"


def _dimension_heat(data: dict, p: Params, lang: str, t) -> view.Heat:
    dims = data["dims"]
    col = "z_vs_peers" if p.metric == "z" else "vs_target"
    wide = dims.pivot(index="unit", columns="dimension", values=col).reindex(columns=data["dim_list"])
    ranks = dims.pivot(index="unit", columns="dimension", values="rank").reindex(columns=data["dim_list"])
    change = dims.pivot(index="unit", columns="dimension", values="rank_change").reindex(columns=data["dim_list"])

    def note(i, j):
        return t("cmp_note_rank", rank=_int(ranks.iat[i, j]), change=_change(change.iat[i, j]))

    return _heat(wide, t("cmp_unit"), [t(f"cmp_dim_{d}") for d in data["dim_list"]],
                 [unit_name(u, lang) for u in wide.index], view.LIMITS[p.metric], note)


def _indicator_heat(data: dict, p: Params, lang: str, t) -> view.Heat:
    shown = data["shown"]
    wide = shown.pivot(index="unit", columns="indicator", values=_metric_col(p)).reindex(columns=data["indicators"])
    raw = shown.pivot(index="unit", columns="indicator", values="value").reindex(columns=data["indicators"])
    target = shown.pivot(index="unit", columns="indicator", values="target").reindex(columns=data["indicators"])

    def note(i, j):
        return t("cmp_note_value", value=_num(raw.iat[i, j]), target=_num(target.iat[i, j]))

    return _heat(wide, t("cmp_unit"), [indicator_name(i, lang) for i in data["indicators"]],
                 [unit_name(u, lang) for u in wide.index], view.LIMITS[p.metric], note)


def _int(v) -> str:
    return "–" if v is None or pd.isna(v) else str(int(v))


def _num(v) -> str:
    return "–" if v is None or pd.isna(v) else f"{float(v):,.2f}"


def _change(v) -> str:
    if v is None or pd.isna(v):
        return "–"
    return f"↑{int(v)}" if v > 0 else (f"↓{int(-v)}" if v < 0 else "0")


def _heat_table(heat: view.Heat) -> Shown:
    return Shown(columns=[heat.corner, *heat.columns], rows=[[r, *vals] for r, vals in zip(heat.rows, heat.values)])


def _ranking(data: dict, p: Params, lang: str, t) -> Shown:
    rows = data["table"][data["table"]["indicator"] == p.indicator].sort_values(["rank", "unit"], na_position="last")
    digits = (indicator_info(p.indicator) or {}).get("decimals", 2)
    cols = ["cmp_unit", "cmp_col_value", "cmp_col_target", "cmp_col_pct_target", "cmp_col_vs_target", "cmp_col_z",
            "cmp_col_rank", "cmp_col_prev_rank", "cmp_col_rank_change"]
    return Shown(columns=[t(c) for c in cols], rows=[
        [unit_name(r.unit, lang), _r(r.value, digits), _r(r.target, digits), _r(r.pct_of_target, 1),
         _r(r.vs_target, 1), _r(r.z_vs_peers, 2), _r(r.rank, 0), _r(r.prev_rank, 0), _r(r.rank_change, 0)]
        for r in rows.itertuples()])


def _trend(data: dict, lang: str, t) -> Shown:
    wide = data["hist"].pivot(index="unit", columns="ds", values="rank")
    return Shown(columns=[t("cmp_unit"), *[month_text(d, lang) for d in wide.columns]],
                 rows=[[unit_name(u, lang), *[_r(v, 0) for v in wide.loc[u]]] for u in wide.index])


def _trend_chart(data: dict, p: Params, lang: str, t) -> str:
    wide = data["hist"].pivot(index="ds", columns="unit", values="value")
    peers = {u: wide[u].to_numpy() for u in wide.columns if u != p.unit}
    chart = series_chart(wide.index, wide[p.unit], peers=peers, width=9.5, height=3.0,
                         title=f"{indicator_name(p.indicator, lang)} · {unit_name(p.unit, lang)}",
                         labels={"history": unit_name(p.unit, lang)})
    return to_svg(chart)


def _build(request: Request, session) -> tuple[Params, dict, dict]:
    stored = view.periods(session)
    if not stored:
        return None, {}, {}
    lang = lang_of(request)
    t = translator(lang)
    p = _params(request.query_params, stored)
    data = _compute(session, p, stored)
    heats = {"dimensions": _dimension_heat(data, p, lang, t), "indicators": _indicator_heat(data, p, lang, t)}
    tables = {"dimensions": _heat_table(heats["dimensions"]), "indicators": _heat_table(heats["indicators"]),
              "ranking": _ranking(data, p, lang, t), "trend": _trend(data, lang, t)}
    return p, data | {"heats": heats, "stored": stored}, tables


@router.get("", response_class=HTMLResponse)
def compare_page(request: Request, viewer: ViewerDep, session: SessionDep):
    require_role(viewer, ANALYSTS)
    p, data, tables = _build(request, session)
    if p is None:
        return render(request, "compare.html", viewer, p=None)
    lang = lang_of(request)
    units = sorted(data["table"]["unit"].unique())
    return render(request, "compare.html", viewer, p=p, data=data, tables=tables, query=p.query(),
                  chart=_trend_chart(data, p, lang, translator(lang)), units=units, trend_periods=TREND_PERIODS,
                  indicator_label=indicator_name(p.indicator, lang), unit_label=unit_name(p.unit, lang),
                  unit_names={u: unit_name(u, lang) for u in units},
                  indicator_names={i: indicator_name(i, lang) for i in data["table"]["indicator"].unique()})


@router.get("/download.{fmt}")
def compare_download(request: Request, viewer: ViewerDep, session: SessionDep, fmt: str, part: str = "indicators"):
    require_role(viewer, ANALYSTS)
    if fmt not in ("csv", "xlsx"):
        raise ConsoleError(404, "fc_err_unknown_format", fmt=fmt[:10], back=PAGE)
    if part not in PARTS:
        raise _unknown("part", part)
    p, _, tables = _build(request, session)
    if p is None:
        raise ConsoleError(404, "cmp_none_stored", back=PAGE)
    extra = p.indicator if part in ("ranking", "trend") else (p.dimension or "all")
    name = filename("compare", part, f"{p.period:%Y-%m}", p.metric, extra)
    return download(tables[part], name, fmt, sheet=part)
