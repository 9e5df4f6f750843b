"""The report's charts as inline SVG (``govperf_ml.plots``: deterministic, text as paths)."""

from __future__ import annotations

import matplotlib
import pandas as pd
from matplotlib import dates as mdates

from api.console.i18n import translator
from api.reports.figures import ForecastSeries, ReportData, Trend
from api.console.names import indicator_info, indicator_name
from govperf_ml import plots

WIDTH, HEIGHT = 3.45, 2.1  # inches: two charts side by side on A4


def _svg(fig, *, daily: bool = False) -> str:
    """The chart for a half-page column: no legend (the section's text says what the lines
    are; each legend glyph also costs WeasyPrint a path to draw) and few date ticks (years,
    or weeks for a daily forecast), so that the labels do not run into each other."""
    with matplotlib.rc_context(plots.style()):
        for ax in fig.axes:
            if ax.get_legend() is not None:
                ax.get_legend().remove()
            if daily:
                ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
                ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
            else:
                ax.xaxis.set_major_locator(mdates.YearLocator())
                ax.xaxis.set_minor_locator(mdates.MonthLocator(bymonth=(4, 7, 10)))
                ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    return plots.to_svg(fig)


def _trend_svg(trend: Trend, labels: dict[str, str]) -> str:
    fig = plots.series_chart(
        trend.periods, trend.values, flagged=trend.flagged or None, target=trend.target,
        target_deadline=trend.deadline, peers=trend.peers, labels=labels, width=WIDTH, height=HEIGHT,
    )
    return _svg(fig)


def trend_charts(data: ReportData, lang: str) -> list[dict]:
    """One chart per trend: ``{"title", "measure", "svg"}``."""
    t = translator(lang)
    labels = {
        "history": t("report_chart_median") if data.is_city else t("report_chart_history"),
        "target": t("report_chart_target"),
        "flagged": t("report_chart_flagged"),
    }
    return [
        {"title": indicator_name(tr.indicator, lang), "measure": (indicator_info(tr.indicator) or {}).get("unit", ""),
         "svg": _trend_svg(tr, labels)}
        for tr in data.trends
    ]


def _forecast_frame(f: ForecastSeries) -> pd.DataFrame:
    frame = pd.DataFrame({"ds": list(f.ds), "mean": list(f.mean), "lo_80": list(f.lo_80), "hi_80": list(f.hi_80),
                          "lo_95": list(f.lo_95), "hi_95": list(f.hi_95)})
    return frame.astype({c: float for c in ("mean", "lo_80", "hi_80", "lo_95", "hi_95")})


def forecast_charts(data: ReportData, lang: str) -> list[dict]:
    """One fan chart per stored demand forecast (the store holds no daily history to draw)."""
    t = translator(lang)
    labels = {"forecast": t("report_chart_forecast"), "fan80": t("report_chart_fan80"),
              "fan95": t("report_chart_fan95")}
    out = []
    for f in data.forecasts:
        frame = _forecast_frame(f)
        fig = plots.series_chart([], [], forecast=frame, labels=labels, width=WIDTH, height=HEIGHT)
        key = f"report_channel_{f.channel}"
        out.append({"title": t(key) if t(key) != key else f.channel, "measure": "", "svg": _svg(fig, daily=True)})
    return out
