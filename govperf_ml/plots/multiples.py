"""Small multiples: several series side by side on one figure, each with its forecast fan."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from govperf_ml import plots
from govperf_ml.plots.series import _fan


@dataclass
class Panel:
    """One small chart: ``periods``/``values`` (the history, may be empty) and ``forecast``
    (``ds, mean`` and any of ``lo_80 ... hi_95``, may be None)."""

    title: str
    periods: Sequence = ()
    values: Sequence[float] = ()
    forecast: pd.DataFrame | None = None


def small_multiples(
    panels: Sequence[Panel],
    *,
    ncols: int = 4,
    panel_width: float = 2.6,
    panel_height: float = 1.7,
    labels=None,
) -> Figure:
    """A grid of ``panels`` (``ncols`` a row), each on its own y scale, x dates shared in
    style; ``labels`` translates the legend keys of :func:`~govperf_ml.plots.series_chart`."""
    if not panels:
        raise ValueError("small_multiples needs at least one panel")
    ncols = max(1, min(int(ncols), len(panels)))
    nrows = math.ceil(len(panels) / ncols)
    width, height = panel_width * ncols, panel_height * nrows + 0.3
    text = lambda key, default: plots.label(labels, key, default)  # noqa: E731
    with matplotlib.rc_context(plots.style()):
        fig = plots.new_figure(width, height)
        fig.subplots_adjust(left=0.45 / width, right=1 - 0.1 / width, bottom=0.3 / height, top=1 - 0.3 / height,
                            wspace=0.35, hspace=0.55)
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
        for ax, panel in zip(axes, panels, strict=False):
            if len(panel.periods):
                ax.plot(pd.to_datetime(pd.Series(list(panel.periods))), np.asarray(panel.values, float),
                        color=plots.COLORS["history"], lw=0.9, label=text("history", "observed"))
            if panel.forecast is not None and len(panel.forecast):
                _fan(ax, panel.forecast, text)
            ax.set_title(panel.title, loc="left", fontsize=8.5)
            ax.tick_params(labelsize=6.5)
            ax.xaxis.set_major_locator(matplotlib.dates.AutoDateLocator(maxticks=3))
            ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%m-%d"))
        for ax in axes[len(panels):]:
            ax.set_visible(False)
    return fig
