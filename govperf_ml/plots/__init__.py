"""Charts for people: the console's pages, the performance report and the notebooks.

Every function returns a matplotlib :class:`~matplotlib.figure.Figure` built with the
object API (no ``pyplot`` state, so it is safe in a server's threads); :func:`to_svg`
turns one into an SVG string whose text is drawn as paths, so Chinese labels render in
any browser and in a PDF without the reader having the font. Output is deterministic: the
same data give the same bytes (reports are reproducible).

Labels come from the caller (the library knows no languages): pass them already
translated in ``labels``.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure

#: fonts tried in order: Noto CJK (Debian's fonts-noto-cjk, installed by scripts/bootstrap.sh),
#: then common CJK fonts of other systems, then matplotlib's own (Latin only)
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "Microsoft YaHei", "PingFang SC", "DejaVu Sans")

#: one palette for every chart (colour-blind safe: Okabe–Ito)
COLORS = {
    "history": "#1f2933",
    "expected": "#0072B2",
    "band": "#56B4E9",
    "flag": "#D55E00",
    "target": "#009E73",
    "forecast": "#0072B2",
    "peer": "#999999",
    "red": "#D55E00",
    "amber": "#E69F00",
    "green": "#009E73",
}

_STYLE = {
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e4e7ec",
    "grid.linewidth": 0.6,
    "svg.fonttype": "path",
    "svg.hashsalt": "govperf",  # stable ids inside the SVG
    "axes.unicode_minus": False,  # CJK fonts may lack U+2212
}


@functools.cache
def cjk_font() -> str | None:
    """The first CJK-capable font installed, or None (charts then fall back to Latin glyphs).

    matplotlib caches its font list the first time it runs; fonts installed after that
    (fonts-noto-cjk by the set-up) are added here from the system's font folders.
    """
    names = {f.name for f in font_manager.fontManager.ttflist}
    if not names.intersection(CJK_FONTS[:-1]):
        for path in font_manager.findSystemFonts():
            if "CJK" in path or "wqy" in path.lower():
                font_manager.fontManager.addfont(path)
        names = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS[:-1] if name in names), None)


def style() -> matplotlib.RcParams:
    """The rc settings every chart is drawn with (use as ``with matplotlib.rc_context(style())``)."""
    found = cjk_font()
    return matplotlib.RcParams({**_STYLE, "font.sans-serif": [found, "DejaVu Sans"] if found else ["DejaVu Sans"]})


def new_figure(width: float = 7.5, height: float = 2.8) -> Figure:
    """A figure in inches; draw on ``fig.subplots()`` inside ``with matplotlib.rc_context(style())``
    (text takes its font when created, so build and save a chart under the same style)."""
    fig = Figure(figsize=(width, height))
    # fixed margins in inches: a layout engine (constrained) costs ~100 ms a chart on a page
    fig.subplots_adjust(left=0.6 / width, right=1 - 0.15 / width, bottom=0.35 / height, top=1 - 0.35 / height)
    return fig


def to_svg(fig: Figure) -> str:
    """The figure as an SVG document (no XML prolog, so it can sit inline in HTML)."""
    buffer = io.StringIO()
    with matplotlib.rc_context(style()):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def to_png(fig: Figure, dpi: int = 110) -> bytes:
    buffer = io.BytesIO()
    with matplotlib.rc_context(style()):
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def label(labels: Mapping[str, str] | None, key: str, default: str) -> str:
    return (labels or {}).get(key, default)


from govperf_ml.plots.series import series_chart  # noqa: E402  (needs the helpers above)

__all__ = ["COLORS", "cjk_font", "label", "new_figure", "series_chart", "style", "to_png", "to_svg"]
