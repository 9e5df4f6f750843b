"""Heat maps of standardised performance (units × indicators or × dimensions).

Diverging palette (ColorBrewer RdBu, colour-blind safe): blue is better than peers or
target, red worse, white neutral; values beyond ``±limit`` take the end colours.

:func:`cell_colors` gives each value its background and a readable text colour, for an
HTML table (the console draws its heat maps as tables: screen readers read them, the
text stays selectable and sharp, and wide tables scroll on a phone); :func:`heatmap`
draws the same as a matplotlib figure (for PDF reports and notebooks), values in the cells.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize, to_hex
from matplotlib.figure import Figure

from govperf_ml import plots

CMAP = "RdBu"
NEUTRAL = "#f2f4f7"  # a blank cell


def _text_on(rgb) -> str:
    """Black or white, whichever contrasts more with ``rgb`` (WCAG relative luminance)."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2])
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def cell_color(value: float | None, limit: float = 3.0) -> tuple[str, str]:
    """(background, text) hex colours of one value on the diverging scale ``[-limit, limit]``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NEUTRAL, "#1f2933"
    rgba = colormaps[CMAP](Normalize(-limit, limit, clip=True)(float(value)))
    return to_hex(rgba), _text_on(rgba)


def cell_colors(values: Sequence[float | None], limit: float = 3.0) -> list[tuple[str, str]]:
    return [cell_color(v, limit) for v in values]


BINS = 5  # steps each side of neutral, for pages that colour cells by class (no inline styles)


def cell_bin(value: float | None, limit: float = 3.0) -> int | None:
    """The step of ``value`` on ``[-limit, limit]``: -BINS..BINS (0 around neutral), None for a blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    step = round(float(value) / limit * BINS)
    return int(max(-BINS, min(BINS, step)))


def bin_colors() -> dict[int, tuple[str, str]]:
    """Step -> (background, text) colours: the palette at each step's centre."""
    return {b: cell_color(b / BINS, 1.0) for b in range(-BINS, BINS + 1)}


def heatmap(
    values: np.ndarray,
    rows: Sequence[str],
    columns: Sequence[str],
    *,
    limit: float = 3.0,
    fmt: str = "{:+.1f}",
    title: str = "",
    width: float | None = None,
) -> Figure:
    """Rows × columns of ``values`` (NaN: blank), coloured on ``[-limit, limit]``, each
    cell printed with ``fmt``. Labels come translated from the caller."""
    data = np.asarray(values, dtype=float)
    if data.shape != (len(rows), len(columns)):
        raise ValueError(f"values are {data.shape}, labels {len(rows)} × {len(columns)}")
    width = width or max(4.0, 1.4 + 0.62 * len(columns))
    height = max(1.6, 0.9 + 0.28 * len(rows))
    with matplotlib.rc_context(plots.style()):
        fig = plots.new_figure(width, height)
        fig.subplots_adjust(left=1.3 / width, right=1 - 0.1 / width, bottom=0.1 / height, top=1 - 0.8 / height)
        ax = fig.subplots()
        ax.imshow(np.ma.masked_invalid(data), cmap=CMAP, vmin=-limit, vmax=limit, aspect="auto")
        ax.set_xticks(range(len(columns)), labels=list(columns), rotation=45, ha="left", fontsize=7.5)
        ax.set_yticks(range(len(rows)), labels=list(rows), fontsize=8)
        ax.xaxis.tick_top()
        ax.grid(False)
        for (i, j), v in np.ndenumerate(data):
            if not math.isnan(v):
                ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=7, color=cell_color(v, limit)[1])
        if title:
            ax.set_title(title, loc="left", fontsize=10, pad=40)
    return fig
