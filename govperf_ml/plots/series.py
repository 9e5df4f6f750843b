"""One series over time: history, the expected band, flagged points, the target, a forecast fan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from govperf_ml import plots


def series_chart(
    periods: Sequence,
    values: Sequence[float],
    *,
    expected: Sequence[float] | None = None,
    lower: Sequence[float] | None = None,
    upper: Sequence[float] | None = None,
    flagged: Sequence | None = None,
    target: float | None = None,
    target_deadline=None,
    forecast: pd.DataFrame | None = None,
    peers: Mapping[str, Sequence[float]] | None = None,
    title: str = "",
    labels: Mapping[str, str] | None = None,
    width: float = 7.5,
    height: float = 2.8,
) -> Figure:
    """The chart a supervisor or analyst reads one series from.

    ``periods``/``values`` are the history (timestamps or anything ``pd.to_datetime`` reads);
    ``expected``/``lower``/``upper`` the model's expectation and band over the same periods
    (NaN where none); ``flagged`` the periods to mark; ``target`` a horizontal line (drawn up
    to ``target_deadline`` when given); ``forecast`` a frame with ``ds``, ``mean`` and any of
    ``lo_80``/``hi_80``/``lo_95``/``hi_95`` (the fan); ``peers`` other units' values over
    the same periods, drawn thin and grey. ``labels`` translates the legend: ``history``,
    ``expected``, ``band``, ``flagged``, ``target``, ``forecast``, ``fan80``, ``fan95``.
    """
    x = pd.to_datetime(pd.Series(list(periods)))
    y = np.asarray(values, dtype=float)
    if len(x) != len(y):
        raise ValueError(f"periods ({len(x)}) and values ({len(y)}) differ in length")
    text = lambda key, default: plots.label(labels, key, default)  # noqa: E731
    with matplotlib.rc_context(plots.style()):
        fig = plots.new_figure(width, height)
        ax = fig.subplots()
        for name, peer in (peers or {}).items():
            ax.plot(x, np.asarray(peer, dtype=float), color=plots.COLORS["peer"], lw=0.6, alpha=0.6, zorder=1)
        _expected(ax, x, expected, lower, upper, text)
        ax.plot(x, y, color=plots.COLORS["history"], lw=1.4, marker="o" if len(x) <= 60 else None, ms=2.5,
                label=text("history", "observed"), zorder=4)
        if flagged is not None and len(flagged):
            marks = pd.to_datetime(pd.Series(list(flagged)))
            hit = x.isin(marks).to_numpy()
            ax.scatter(x[hit], y[hit], s=60, facecolors="none", edgecolors=plots.COLORS["flag"], linewidths=1.8,
                       label=text("flagged", "flagged"), zorder=5)
        if forecast is not None and len(forecast):
            _fan(ax, forecast, text)
        if target is not None:
            end = pd.Timestamp(target_deadline) if target_deadline is not None else None
            if end is None:
                ax.axhline(target, color=plots.COLORS["target"], lw=1.2, ls=":", label=text("target", "target"))
            else:
                ax.plot([x.min(), end], [target, target], color=plots.COLORS["target"], lw=1.2, ls=":",
                        label=text("target", "target"))
                ax.plot([end], [target], marker="D", color=plots.COLORS["target"], ms=5)
        if title:
            ax.set_title(title, loc="left", fontsize=10)
        ax.legend(loc="upper left", fontsize=7.5, frameon=False, ncol=4)
        fig.autofmt_xdate(rotation=0, ha="center")
    return fig


def _fan(ax, forecast: pd.DataFrame, text) -> None:
    ds = pd.to_datetime(forecast["ds"])
    for level, alpha in ((95, 0.15), (80, 0.3)):
        lo, hi = f"lo_{level}", f"hi_{level}"
        if lo in forecast and hi in forecast:
            ax.fill_between(ds, forecast[lo].astype(float), forecast[hi].astype(float), color=plots.COLORS["forecast"],
                            alpha=alpha, lw=0, label=text(f"fan{level}", f"{level} % interval"), zorder=2)
    ax.plot(ds, forecast["mean"].astype(float), color=plots.COLORS["forecast"], lw=1.4,
            label=text("forecast", "forecast"), zorder=4)


def _expected(ax, x: pd.Series, expected, lower, upper, text) -> None:
    """The expected value (dashed) and its band; where only lone periods have them (the
    alerts of a series), a tick and a bar, since a line or band draws nothing there."""
    if lower is not None and upper is not None:
        lo, hi = np.asarray(lower, float), np.asarray(upper, float)
        ax.fill_between(x, lo, hi, color=plots.COLORS["band"], alpha=0.25, lw=0, label=text("band", "expected band"),
                        zorder=2)
        lone = _alone(lo) & _alone(hi)
        if lone.any():
            ax.vlines(x[lone], lo[lone], hi[lone], color=plots.COLORS["band"], lw=7, alpha=0.45, zorder=2)
    if expected is not None:
        mid = np.asarray(expected, float)
        ax.plot(x, mid, color=plots.COLORS["expected"], lw=1, ls="--", label=text("expected", "expected"), zorder=3)
        lone = _alone(mid)
        if lone.any():
            ax.scatter(x[lone], mid[lone], marker="_", s=80, color=plots.COLORS["expected"], zorder=3)


def _alone(values: np.ndarray) -> np.ndarray:
    """Known values whose neighbours are both unknown (a line or band draws nothing there)."""
    known = np.isfinite(values)
    return known & ~np.r_[False, known[:-1]] & ~np.r_[known[1:], False]

