"""The corpora of the targets suite and their episodes, built with one fixed protocol.

A dataset root holds ``m4_hourly_weekly/`` (M4's wide layout: ``Train/Hourly-train.csv``
...) and ``monthly_public/`` (``pbs_scripts_monthly.csv.gz``, column ``Scripts``;
``aus_retail_turnover_monthly.csv.gz``, column ``y``); the sample city is generated from
its seed. Each corpus is a long frame ``unique_id, ds, y`` with a target horizon ``h`` and
a season ``m``; episodes follow :func:`govperf_ml.bench.targets.build_episodes` (three
start times, targets at -5 %..+10 % of the baseline on the mean of the next ``h`` values).
Series are subsampled with a fixed seed so that the suite runs in minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from govperf_ml.contracts import DS, ID, Y, DataContractError
from govperf_ml.evaluation.m4 import M4_FREQS

# corpus name -> (horizon h, season m); M4's as in its evaluation
CORPORA = {
    "m4_hourly": M4_FREQS["hourly"],
    "m4_weekly": M4_FREQS["weekly"],
    "pbs_monthly": (6, 12),
    "retail_monthly": (6, 12),
    "city_kpi_monthly": (6, 12),
    "city_demand_daily": (28, 7),
}


@dataclass(frozen=True)
class Corpus:
    name: str
    frame: pd.DataFrame  # unique_id, ds, y
    h: int
    m: int


def _m4(root: Path, freq: str) -> pd.DataFrame:
    from govperf_ml.evaluation import m4

    folder = root / "m4_hourly_weekly"
    name = freq.capitalize()
    for part in ("Train", "Test"):
        path = folder / part / f"{name}-{part.lower()}.csv"
        if not path.is_file():
            raise DataContractError(f"--data: missing file {path}", field="data")
    try:
        train, test = m4.load_m4(folder, freq)
    except (ValueError, StopIteration, UnicodeDecodeError) as err:
        raise DataContractError(f"--data: malformed M4 file in {folder}: {err}", field="data") from None
    return pd.concat([train, test], ignore_index=True)


def _monthly(root: Path, file: str, column: str) -> pd.DataFrame:
    path = root / "monthly_public" / file
    if not path.is_file():
        raise DataContractError(f"--data: missing file {path}", field="data")
    try:
        frame = pd.read_csv(path, usecols=[ID, DS, column], parse_dates=[DS])
    except (ValueError, OSError, EOFError, pd.errors.ParserError) as err:
        raise DataContractError(f"--data: malformed file {path}: {err}", field="data") from None
    frame = frame.rename(columns={column: Y})
    frame[Y] = pd.to_numeric(frame[Y], errors="coerce")
    if frame[Y].isna().all():
        raise DataContractError(f"--data: malformed file {path}: column {column!r} holds no number", field="data")
    return frame


def _city(kind: str) -> pd.DataFrame:
    from govperf_ml.sample_city import make_sample_city

    city = make_sample_city(seed=0)
    return city.series if kind == "kpi" else city.demand


def load_corpus(root: Path | None, name: str) -> Corpus:
    """One corpus of the suite, read from ``root`` (the sample city needs no root)."""
    if name not in CORPORA:
        raise DataContractError(f"--corpora: unknown corpus {name!r}; known: {sorted(CORPORA)}", field="corpora")
    h, m = CORPORA[name]
    if name.startswith("city_"):
        frame = _city("kpi" if name == "city_kpi_monthly" else "demand")
    elif root is None:
        raise DataContractError(f"--data is required for corpus {name}", field="data")
    elif name.startswith("m4_"):
        frame = _m4(Path(root), name.removeprefix("m4_"))
    elif name == "pbs_monthly":
        frame = _monthly(Path(root), "pbs_scripts_monthly.csv.gz", "Scripts")
    else:
        frame = _monthly(Path(root), "aus_retail_turnover_monthly.csv.gz", Y)
    return Corpus(name, frame.dropna(subset=[Y]).sort_values([ID, DS]).reset_index(drop=True), h, m)


def subsample(frame: pd.DataFrame, max_series: int | None, seed: int) -> pd.DataFrame:
    """At most ``max_series`` series, drawn with a fixed seed."""
    ids = frame[ID].unique()
    if max_series is None or len(ids) <= max_series:
        return frame
    keep = np.random.default_rng(seed).choice(ids, size=max_series, replace=False)
    return frame[frame[ID].isin(keep)]


def corpus_episodes(corpus: Corpus, *, max_series: int | None = 150, seed: int = 0, forecast: bool = False,
                    short_share: float = 0.0) -> pd.DataFrame:
    """The suite's episodes of one corpus, with a ``corpus`` column; targets set on a zero
    or negative baseline (no relative target exists) are left out. With ``forecast``, the
    forecaster's ``p_forecast`` too; a seeded ``short_share`` of the series is seen only over
    a short history (3 past origins, see :func:`govperf_ml.bench.targets.build_episodes`)."""
    from govperf_ml.bench.targets import build_episodes

    frame = subsample(corpus.frame, max_series, seed)
    ids = frame[ID].unique()
    cut = np.random.default_rng(seed + 1).choice(ids, size=int(round(short_share * len(ids))), replace=False)
    ep = build_episodes(frame, frame.iloc[:0], corpus.h, corpus.m, forecast=forecast, cut=cut)
    if ep.empty:
        return ep
    ep = ep[ep["b"] > 0].reset_index(drop=True)
    ep["unique_id"] = corpus.name + ":" + ep["unique_id"].astype(str)
    return ep.assign(corpus=corpus.name, h=corpus.h)


def suite_episodes(root: Path | None, names=tuple(CORPORA), *, max_series: int | None = 150,
                   seed: int = 0, forecast: bool = False, short_share: float = 0.0) -> pd.DataFrame:
    """Episodes of every named corpus, one frame."""
    if not 0.0 <= short_share <= 1.0:
        raise DataContractError(f"--short-share must lie in [0, 1]; got {short_share}", field="short_share")
    parts = []
    for name in names:
        ep = corpus_episodes(load_corpus(root, name), max_series=max_series, seed=seed, forecast=forecast,
                             short_share=short_share)
        if ep.empty:
            raise DataContractError(f"corpus {name}: no episode could be built (series too short)", field="data")
        parts.append(ep)
    return pd.concat(parts, ignore_index=True)
