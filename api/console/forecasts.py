"""The analysts' forecast explorer: a stored demand forecast with its 80/95 % fan, the
model and cutoff, the champion's backtest accuracy, the districts side by side and the
reconciled city total; the forecast table as CSV or XLSX."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.console import forecast_view as view
from api.console.downloads import Shown, download, filename
from api.console.i18n import translator
from api.console.names import series_name, unit_name
from api.console.web import ANALYSTS, ConsoleError, ViewerDep, lang_of, render, require_role
from api.deps import SessionDep
from govperf_ml.plots import series_chart, to_svg
from govperf_ml.plots.multiples import Panel, small_multiples

router = APIRouter(prefix="/console/forecasts", include_in_schema=False)
PAGE = "/console/forecasts"
FORMATS = ("csv", "xlsx")


def _chosen(session, series: str, run: str, pick: str = "") -> view.Choice | None:
    """The series asked for (``series`` and ``run``, or the form's ``pick``: ``<run or 0>:<series>``;
    the first stored one when none is); 404 for an unknown one."""
    if pick:
        run, _, series = pick.partition(":")
        run = "" if run == "0" else run
    stored = view.choices(session)
    if not stored:
        return None
    if not series and not run:
        return stored[0]
    if run and not run.isdigit():
        raise ConsoleError(404, "fc_err_unknown_run", run=run[:40], back=PAGE)
    choice = view.Choice(series, int(run) if run else None)
    if choice not in stored:
        raise ConsoleError(404, "fc_err_unknown_series", series=series[:200], back=PAGE)
    return choice


def _table(frame: pd.DataFrame, t) -> Shown:
    labels = [t("fc_col_date"), t("fc_col_mean"), t("fc_col_lo80"), t("fc_col_hi80"), t("fc_col_lo95"),
              t("fc_col_hi95")]
    rows = [[pd.Timestamp(r.ds).strftime("%Y-%m-%d"), *(None if pd.isna(v) else round(float(v), 1) for v in
             (r.mean, r.lo_80, r.hi_80, r.lo_95, r.hi_95))] for r in frame.itertuples()]
    return Shown(columns=labels, rows=rows)


def _legend(t) -> dict[str, str]:
    return {k: t(f"fc_legend_{k}") for k in ("history", "forecast", "fan80", "fan95")}


def _members(session, choice: view.Choice, channel: str) -> pd.DataFrame:
    members = view.frame_of(session, choice.run_id, channel=channel)
    totals_first = members.assign(_total=members["org_unit"] != view.TOTAL_UNIT)
    order = totals_first.sort_values(["_total", "unique_id", "ds"], kind="stable")["unique_id"].drop_duplicates()
    return members[members["unique_id"].isin(order.head(view.MULTIPLES_MAX))]


def _multiples(session, choice, members: pd.DataFrame, lang: str, t) -> str:
    panels = []
    for uid, rows in members.groupby("unique_id", sort=False):
        hist, _ = view.history(session, uid, choice.run_id, rows["cutoff"].iloc[0], days=56)
        panels.append(Panel(unit_name(rows["org_unit"].iloc[0], lang), hist["ds"], hist["y"], rows))
    order = sorted(panels, key=lambda p: p.title != unit_name(view.TOTAL_UNIT, lang))
    return to_svg(small_multiples(order, ncols=4, labels=_legend(t)))


def _explore(request: Request, session, series: str, run: str, pick: str) -> dict:
    lang = lang_of(request)
    t = translator(lang)
    choice = _chosen(session, series, run, pick)
    if choice is None:
        return {"choice": None}
    frame = view.frame_of(session, choice.run_id, unique_ids=[choice.unique_id])
    first = frame.iloc[0]
    hist, source = view.history(session, choice.unique_id, choice.run_id, first["cutoff"])
    charts = view.charts_of(request.app)
    stamp = (choice.run_id, first["model_version"], first["cutoff"], frame["created_at"].max(), len(frame), lang)
    chart = charts.get(("fan", choice.unique_id, *stamp), lambda: to_svg(series_chart(
        hist["ds"], hist["y"], forecast=frame, title=series_name(choice.unique_id, lang), labels=_legend(t),
        width=9.5, height=3.2)))
    members = _members(session, choice, first["channel"])
    total = f"{view.TOTAL_UNIT}|{first['channel']}"
    multiples = ""
    if members["unique_id"].nunique() > 1:
        key = ("multiples", first["channel"], members["unique_id"].nunique(), members["created_at"].max(), *stamp)
        multiples = charts.get(key, lambda: _multiples(session, choice, members, lang, t))
    return {
        "choice": choice, "frame": frame, "first": first, "source": source, "chart": chart, "multiples": multiples,
        "coherence": view.coherence(members, total), "accuracy": view.accuracy(request.app.state.models,
                                                                                 first["model_version"]),
        "run": view.run_info(session, choice.run_id), "table": _table(frame, t), "h": len(frame),
    }


@router.get("", response_class=HTMLResponse)
def forecasts_page(request: Request, viewer: ViewerDep, session: SessionDep, series: str = "", run: str = "",
                   pick: str = ""):
    require_role(viewer, ANALYSTS)
    shown = _explore(request, session, series, run, pick)
    lang = lang_of(request)
    options = [{"value": f"{c.run_id or 0}:{c.unique_id}", "label": series_name(c.unique_id, lang), "run": c.run_id,
                "selected": c == shown["choice"]} for c in view.choices(session)]
    query = urlencode(shown["choice"].query) if shown["choice"] else ""
    return render(request, "forecasts.html", viewer, options=options, query=query,
                  series_label=series_name(shown["choice"].unique_id, lang) if shown["choice"] else "", **shown)


@router.get("/download.{fmt}")
def forecasts_download(request: Request, viewer: ViewerDep, session: SessionDep, fmt: str, series: str = "",
                       run: str = ""):
    require_role(viewer, ANALYSTS)
    if fmt not in FORMATS:
        raise ConsoleError(404, "fc_err_unknown_format", fmt=fmt[:10], back=PAGE)
    choice = _chosen(session, series, run)
    if choice is None:
        raise ConsoleError(404, "fc_none_stored_short", back=PAGE)
    t = translator(lang_of(request))
    frame = view.frame_of(session, choice.run_id, unique_ids=[choice.unique_id])
    cutoff = pd.Timestamp(frame["cutoff"].iloc[0]).strftime("%Y-%m-%d")
    name = filename("forecast", choice.unique_id, f"run{choice.run_id}" if choice.run_id else "", f"cutoff{cutoff}")
    return download(_table(frame, t), name, fmt, sheet=t("fc_sheet"))
