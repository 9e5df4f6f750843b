"""Leave-one-corpus-out (LOCO) choice of a detector's settings.

The input is a long score table: one row per (corpus, setting) with one column per
selection metric (higher is better; NaN where a metric does not apply to a corpus, e.g.
the NAB score on a monthly panel). Within each corpus every metric is min-max normalised
over the settings (all settings equal → 1), a corpus' value for a setting is the mean of
its normalised metrics, and the setting chosen for a held-out corpus is the one with the
highest mean of those values over the OTHER corpora. Ties go to the setting listed first.
The in-corpus choice is the same rule on the corpus itself (what tuning on it would give);
the all-corpora choice is the rule over every corpus (what a new corpus would get: the
setting to serve).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd

__all__ = ["choose_all", "choose_in_corpus", "choose_loco", "normalised"]


def normalised(table: pd.DataFrame, metrics: Sequence[str], *, corpus_col="corpus",
               setting_col="setting") -> pd.DataFrame:
    """``corpus × setting`` frame of the mean min-max-normalised metrics (settings in table order)."""
    missing = [c for c in (corpus_col, setting_col, *metrics) if c not in table.columns]
    if missing:
        raise ValueError(f"score table lacks column(s) {missing}")
    if table.duplicated([corpus_col, setting_col]).any():
        raise ValueError("score table has more than one row for a (corpus, setting)")
    order = list(dict.fromkeys(table[setting_col]))
    parts = []
    for m in metrics:
        wide = table.pivot(index=corpus_col, columns=setting_col, values=m)[order].astype(float)
        w = wide.to_numpy()
        with _quiet():
            lo, hi = np.nanmin(w, axis=1, keepdims=True), np.nanmax(w, axis=1, keepdims=True)
        flat = ~(hi > lo)  # one distinct value (or none): every setting is as good
        norm = np.where(flat, np.where(np.isnan(w), np.nan, 1.0), (w - lo) / np.where(flat, 1.0, hi - lo))
        parts.append(pd.DataFrame(norm, index=wide.index, columns=order))
    stacked = np.stack([p.to_numpy() for p in parts])
    with _quiet():
        mean = np.nanmean(stacked, axis=0)
    return pd.DataFrame(mean, index=parts[0].index, columns=order)


def _best(values: pd.Series):
    """The first setting with the highest value (NaN counts as -inf)."""
    v = values.fillna(-np.inf).to_numpy()
    return values.index[int(np.argmax(v))]


def choose_loco(table: pd.DataFrame, metrics: Sequence[str], **cols) -> dict:
    """``{held-out corpus: setting chosen on the other corpora}``.

    With a single corpus there is nothing to choose on: a ValueError.
    """
    norm = normalised(table, metrics, **cols)
    if len(norm.index) < 2:
        raise ValueError("leave-one-corpus-out needs at least two corpora")
    with _quiet():
        return {c: _best(norm.drop(index=c).mean(axis=0, skipna=True)) for c in norm.index}


def choose_in_corpus(table: pd.DataFrame, metrics: Sequence[str], **cols) -> dict:
    """``{corpus: the setting that is best on that corpus itself}`` (the in-corpus figure)."""
    norm = normalised(table, metrics, **cols)
    return {c: _best(norm.loc[c]) for c in norm.index}


def choose_all(table: pd.DataFrame, metrics: Sequence[str], **cols):
    """The setting with the highest mean normalised value over ALL corpora (the one to serve)."""
    norm = normalised(table, metrics, **cols)
    with _quiet():
        return _best(norm.mean(axis=0, skipna=True))


@contextmanager
def _quiet():
    """Silence numpy's "mean of empty slice" warnings (an all-NaN column stays NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        yield
