"""Data contracts: the column names every module speaks, and the validators at the door.

Every frame that enters the library goes through one of the ``validate_*`` functions.
They return a *new*, normalised frame (types coerced, rows sorted) and never touch the
input. A frame that breaks the contract raises :class:`DataContractError`, which names the
offending column and the offending series ids or rows, so that the API can answer a 422
that points at the field and the CLI can print one readable line.

Validation itself is done by pandera; this module only declares the schemas and turns
pandera's failure cases into one short message.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

from govperf_ml.vocabulary import AGGREGATIONS, DIRECTIONS, default_target_ids

# ---------------------------------------------------------------------------------------
# Column names. Functions take them as parameters with these defaults.
# ---------------------------------------------------------------------------------------
ID = "unique_id"
DS = "ds"
Y = "y"

# indicator metadata (one row per series)
ORG_UNIT = "org_unit"  # the organisational unit scored: district, street office, hospital
INDICATOR = "indicator"
UNIT = "unit"  # the measurement unit of the value: "%", "days", "calls"
DIMENSION = "dimension"
DIRECTION = "direction"
FREQUENCY = "frequency"

FREQUENCIES = ("D", "W", "M", "Q", "H", "Y")
DIMENSIONS = (
    "efficiency",
    "service_quality",
    "satisfaction",
    "transparency",
    "economy",
    "outcome",
    "demand",
)

# targets
TARGET = "target"
DEADLINE = "deadline"
START = "start"
AGGREGATION = "aggregation"

# feedback messages
MESSAGE_ID = "message_id"
TEXT = "text"
CHANNEL = "channel"
RECEIVED_AT = "received_at"
AREA = "area"
DIMENSIONS_COL = "dimensions"
CHANNELS = ("hotline_12345", "message_board", "mayor_mailbox", "survey", "other")


class DataContractError(ValueError):
    """Input that breaks a data contract.

    Attributes
    ----------
    field : str
        The column (or request field) that is wrong.
    ids : list
        The offending series ids or row labels (possibly shortened in the message).
    """

    def __init__(self, message: str, *, field: str | None = None, ids: Sequence | None = None):
        super().__init__(message)
        self.field = field
        self.ids = list(ids) if ids is not None else []


_short = reprlib.Repr()
_short.maxlist = 5
_short.maxstring = 60


def short(values: Iterable) -> str:
    """A short repr of offending ids, like statsforecast's error messages."""
    return _short.repr(list(values))


def _raise_from_pandera(err: SchemaErrors | SchemaError, what: str, id_col: str | None, frame: pd.DataFrame):
    cases = err.failure_cases
    if cases is None or len(cases) == 0:
        raise DataContractError(f"{what}: {err}") from None
    first = cases.iloc[0]
    column = first.get("column")
    check = str(first.get("check"))
    if column is None or (isinstance(column, float) and np.isnan(column)):
        # a frame-level failure (missing column, duplicate keys): the column is in the value
        column = str(first.get("failure_case"))
        if "column_in_dataframe" in check or "column_in_schema" in check:
            raise DataContractError(
                f"{what}: missing required column {column!r}", field=column
            ) from None
    column = str(column)
    bad_rows = cases.loc[cases["column"] == column, "index"].dropna().tolist()
    ids: list = []
    if id_col is not None and id_col in frame.columns and bad_rows:
        ids = list(dict.fromkeys(frame.loc[frame.index.isin(bad_rows), id_col].tolist()))
    bad_values = cases.loc[cases["column"] == column, "failure_case"].tolist()
    where = f"series {short(ids)}" if ids else f"rows {short(bad_rows)}"
    raise DataContractError(
        f"{what}: column {column!r} fails {check} at {where} (values {short(bad_values)})",
        field=column,
        ids=ids or bad_rows,
    ) from None


def _check_frame(df, what: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise DataContractError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    if df.empty:
        raise DataContractError(f"{what}: the frame has no rows")
    return df.copy()


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataContractError(
            f"{what}: missing required column {missing[0]!r} (have {short(df.columns)})",
            field=missing[0],
        )


def _to_datetime(df: pd.DataFrame, col: str, what: str, id_col: str | None) -> None:
    parsed = pd.to_datetime(df[col], errors="coerce", format="mixed")
    bad = parsed.isna() & df[col].notna()
    if df[col].isna().any() or bad.any():
        mask = bad | df[col].isna()
        ids = df.loc[mask, id_col].unique().tolist() if id_col and id_col in df else df.index[mask].tolist()
        raise DataContractError(
            f"{what}: column {col!r} has missing or unparseable dates at "
            f"{'series' if id_col and id_col in df else 'rows'} {short(ids)} "
            f"(values {short(df.loc[mask, col].tolist())})",
            field=col,
            ids=ids,
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    df[col] = parsed.astype("datetime64[ns]")


def _to_numeric(df: pd.DataFrame, col: str, what: str, id_col: str | None, *, allow_nan: bool) -> None:
    values = pd.to_numeric(df[col], errors="coerce")
    bad = values.isna() & df[col].notna()
    if not allow_nan:
        bad |= df[col].isna()
    bad |= np.isinf(values.fillna(0).to_numpy(dtype=float))
    if bad.any():
        ids = df.loc[bad, id_col].unique().tolist() if id_col and id_col in df else df.index[bad].tolist()
        raise DataContractError(
            f"{what}: column {col!r} must be a finite number"
            f"{'' if allow_nan else ' (no blanks)'} at "
            f"{'series' if id_col and id_col in df else 'rows'} {short(ids)} "
            f"(values {short(df.loc[bad, col].tolist())})",
            field=col,
            ids=ids,
        )
    df[col] = values.astype(float)


def _check_unique(df: pd.DataFrame, keys: list[str], what: str, id_col: str | None) -> None:
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        ids = df.loc[dup, id_col].unique().tolist() if id_col else df.index[dup].tolist()
        raise DataContractError(
            f"{what}: duplicate rows for key {tuple(keys)} in series {short(ids)}",
            field=keys[-1],
            ids=ids,
        )


def _check_in(df: pd.DataFrame, col: str, allowed: Sequence[str], what: str, id_col: str | None) -> None:
    bad = ~df[col].isin(allowed)
    if bad.any():
        ids = df.loc[bad, id_col].unique().tolist() if id_col and id_col in df else df.index[bad].tolist()
        raise DataContractError(
            f"{what}: column {col!r} must be one of {list(allowed)}; got "
            f"{short(df.loc[bad, col].unique())} at {short(ids)}",
            field=col,
            ids=ids,
        )


# ---------------------------------------------------------------------------------------
# Indicator series: long format unique_id, ds, y (+ exogenous columns)
# ---------------------------------------------------------------------------------------
def validate_series(
    df: pd.DataFrame,
    *,
    id_col: str = ID,
    time_col: str = DS,
    target_col: str = Y,
    allow_missing_y: bool = True,
    min_length: int = 1,
    exog: Sequence[str] = (),
) -> pd.DataFrame:
    """Validate a long frame of series and return a sorted, typed copy.

    ``y`` may hold NaN (a missing submission) when ``allow_missing_y`` is true; it may
    never hold text or infinities. ``(unique_id, ds)`` must be unique. ``exog`` names
    exogenous columns that must be there and be numbers (NaN allowed: a missing reading).
    """
    what = "series"
    df = _check_frame(df, what)
    _require(df, [id_col, time_col, target_col, *exog], what)
    for col in exog:
        _to_numeric(df, col, what, id_col, allow_nan=True)
    if df[id_col].isna().any():
        raise DataContractError(
            f"{what}: column {id_col!r} has blank ids at rows {short(df.index[df[id_col].isna()])}",
            field=id_col,
            ids=df.index[df[id_col].isna()].tolist(),
        )
    df[id_col] = df[id_col].astype(str)
    _to_datetime(df, time_col, what, id_col)
    _to_numeric(df, target_col, what, id_col, allow_nan=allow_missing_y)
    _check_unique(df, [id_col, time_col], what, id_col)
    if min_length > 1:
        sizes = df.groupby(id_col, sort=False).size()
        short_ids = sizes.index[sizes < min_length].tolist()
        if short_ids:
            raise DataContractError(
                f"{what}: series {short(short_ids)} have fewer than {min_length} rows",
                field=target_col,
                ids=short_ids,
            )
    return df.sort_values([id_col, time_col], kind="stable").reset_index(drop=True)


def validate_future(df: pd.DataFrame, exog: Sequence[str], *, what: str = "X_df") -> pd.DataFrame:
    """Validate future values of exogenous columns (``unique_id, ds`` and each column, no
    blanks; ``(unique_id, ds)`` unique) and return a typed copy."""
    if not isinstance(df, pd.DataFrame):
        raise DataContractError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}", field=what)
    df = _check_frame(df, what)
    _require(df, [ID, DS, *exog], what)
    df[ID] = df[ID].astype(str)
    _to_datetime(df, DS, what, ID)
    for col in exog:
        _to_numeric(df, col, what, ID, allow_nan=False)
    _check_unique(df, [ID, DS], what, ID)
    return df


INDICATOR_SCHEMA = pa.DataFrameSchema(
    {
        ID: pa.Column(str, unique=True, coerce=True),
        ORG_UNIT: pa.Column(str, coerce=True),
        INDICATOR: pa.Column(str, coerce=True),
        UNIT: pa.Column(str, coerce=True),
        DIMENSION: pa.Column(str, pa.Check.isin(DIMENSIONS), coerce=True),
        DIRECTION: pa.Column(str, pa.Check.isin(DIRECTIONS), coerce=True),
        FREQUENCY: pa.Column(str, pa.Check.isin(FREQUENCIES), coerce=True),
    },
    strict=False,
)


def validate_indicators(df: pd.DataFrame) -> pd.DataFrame:
    """Validate indicator metadata: one row per series id."""
    what = "indicators"
    df = _check_frame(df, what)
    _require(df, list(INDICATOR_SCHEMA.columns), what)
    try:
        return INDICATOR_SCHEMA.validate(df, lazy=True).reset_index(drop=True)
    except (SchemaErrors, SchemaError) as err:
        _raise_from_pandera(err, what, ID, df)


# ---------------------------------------------------------------------------------------
# Targets: a value to reach by a deadline
# ---------------------------------------------------------------------------------------
def validate_targets(df: pd.DataFrame, *, id_col: str = ID) -> pd.DataFrame:
    """Validate targets.

    Required: ``unique_id``, ``target``, ``deadline``, ``direction`` (higher/lower),
    ``aggregation`` (last/mean/sum over the target period). Optional: ``start``, the
    date the target was set (where the planned path starts); without it the period is
    the year up to the deadline. A ``target_id`` column is kept if present, else one is
    made from the series id and the deadline.
    """
    what = "targets"
    df = _check_frame(df, what)
    _require(df, [id_col, TARGET, DEADLINE, DIRECTION, AGGREGATION], what)
    df[id_col] = df[id_col].astype(str)
    _to_numeric(df, TARGET, what, id_col, allow_nan=False)
    _to_datetime(df, DEADLINE, what, id_col)
    df[DIRECTION] = df[DIRECTION].astype(str).str.lower()
    _check_in(df, DIRECTION, DIRECTIONS, what, id_col)
    df[AGGREGATION] = df[AGGREGATION].astype(str).str.lower()
    _check_in(df, AGGREGATION, AGGREGATIONS, what, id_col)
    if START in df.columns and df[START].notna().any():
        df[START] = df[START].fillna(df[DEADLINE] - pd.DateOffset(years=1))
        _to_datetime(df, START, what, id_col)
    else:
        df[START] = (df[DEADLINE] - pd.DateOffset(years=1)).astype("datetime64[ns]")
    late = df[START] >= df[DEADLINE]
    if late.any():
        ids = df.loc[late, id_col].tolist()
        raise DataContractError(
            f"{what}: column 'start' must be before 'deadline' for {short(ids)}", field=START, ids=ids
        )
    if "target_id" not in df.columns:
        df["target_id"] = default_target_ids(df[id_col], df[DEADLINE])
    df["target_id"] = df["target_id"].astype(str)
    _check_unique(df, ["target_id"], what, id_col)
    return df.reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# Feedback messages
# ---------------------------------------------------------------------------------------
def split_labels(value) -> list[str]:
    """Dimensions come as a list or as one string joined by ';' (CSV files)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace("；", ";").replace(",", ";").split(";") if v.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def validate_feedback(
    df: pd.DataFrame,
    *,
    require_labels: bool = False,
    text_col: str = TEXT,
    id_col: str = MESSAGE_ID,
) -> pd.DataFrame:
    """Validate citizen messages.

    Required: ``message_id`` (made from the row number if absent) and ``text``.
    Optional: ``channel``, ``received_at``, ``org_unit``, and the labels ``area`` and
    ``dimensions`` (a list, or a ';'-joined string). With ``require_labels`` the
    ``area`` label must be present on every row (for training).
    """
    what = "feedback"
    df = _check_frame(df, what)
    _require(df, [text_col], what)
    if id_col not in df.columns:
        df[id_col] = [f"msg-{i}" for i in range(len(df))]
    df[id_col] = df[id_col].astype(str)
    _check_unique(df, [id_col], what, None)
    text = df[text_col]
    blank = text.isna() | (text.astype(str).str.strip() == "")
    if blank.any():
        ids = df.loc[blank, id_col].tolist()
        raise DataContractError(f"{what}: column {text_col!r} is blank for messages {short(ids)}", field=text_col, ids=ids)
    df[text_col] = text.astype(str).str.strip()
    if CHANNEL in df.columns:
        df[CHANNEL] = df[CHANNEL].fillna("other").astype(str)
        _check_in(df, CHANNEL, CHANNELS, what, id_col)
    if RECEIVED_AT in df.columns and df[RECEIVED_AT].notna().all():
        _to_datetime(df, RECEIVED_AT, what, id_col)
    if require_labels:
        _require(df, [AREA], what)
        missing = df[AREA].isna() | (df[AREA].astype(str).str.strip() == "")
        if missing.any():
            ids = df.loc[missing, id_col].tolist()
            raise DataContractError(f"{what}: column 'area' is blank for messages {short(ids)}", field=AREA, ids=ids)
    if AREA in df.columns:
        df[AREA] = df[AREA].where(df[AREA].isna(), df[AREA].astype(str).str.strip())
    if DIMENSIONS_COL in df.columns:
        df[DIMENSIONS_COL] = df[DIMENSIONS_COL].map(split_labels)
    return df.reset_index(drop=True)
