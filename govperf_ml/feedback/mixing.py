"""What the feedback model trains on: shipped text, a department's own labels, corrections.

The served default is trained on text we may ship (the bundled corpus and the generated
messages). A department's own labelled records and its handlers' corrections are closer
to what it will classify, and few next to the shipped text, which would otherwise drown
them: :func:`training_mix` gives them sample weights above the shipped text's 1, and
drops the shipped text once every area has ``enough_per_area`` department labels. The
defaults were chosen on the selection half of the Teddy Cup titles (``govperf bench
feedback`` reports the other half).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from govperf_ml.contracts import AREA, MESSAGE_ID, validate_feedback
from govperf_ml.feedback.area_prior import find_area
from govperf_ml.feedback.taxonomy import Taxonomy, load_taxonomy


@dataclass(frozen=True)
class MixRule:
    """Weights of a department's labels against the shipped text (weight 1).

    own_weight : a department's labelled records (``govperf train feedback --feedback``).
    correction_weight : handlers' corrections from the review queue.
    enough_per_area : with at least this many department labels (records and corrections)
        in every area, the shipped text is left out and every label weighs the same
        (``train_feedback`` applies it only with a department's file: see :func:`keeping_shipped`).

    Chosen on the selection half of the Teddy Cup titles (served-default macro-F1 on its
    second part, a department's records drawn from its first; weights 1 / 3 / 10 / 30, and
    the records alone): with 10, 30, 100 records per area the mix at weight 30 scored 0.727,
    0.745, 0.798 (alone: 0.656, 0.735, 0.789; weight 1: 0.721, 0.731, 0.772); with all
    2,302 (at least 153 per area) the mix and the records alone tied at 0.836. Corrections
    from the review queue (100 / 400 / 1,600): weight 10 scored 0.752 / 0.787 / 0.828
    (weight 1: 0.742 / 0.775 / 0.806; 3: 0.746 / 0.784 / 0.823; 30: 0.748 / 0.786 / 0.820).
    """

    own_weight: float = 30.0
    correction_weight: float = 10.0
    enough_per_area: int = 150


def keeping_shipped(rule: MixRule) -> MixRule:
    """``rule`` without the drop: where the held-out set (the gate's) is shipped text, a model
    trained without it would be scored on text unlike its training and never promoted."""
    return replace(rule, enough_per_area=sys.maxsize)


def _aligned(shipped: pd.DataFrame, areas, taxonomy: Taxonomy | None) -> pd.DataFrame | None:
    """The shipped rows of the department's ``areas``, relabelled in its spelling (id or name);
    None when one of its areas is not in the taxonomy (the shipped text cannot be aligned)."""
    tax = (taxonomy or load_taxonomy()).areas
    to_dept = {}
    for a in areas:
        info = find_area(tax, str(a))
        if info is None:
            return None
        area_id = next(k for k, v in tax.items() if v is info)
        to_dept[area_id] = a
    id_of = {s: next((k for k, v in tax.items() if find_area(tax, str(s)) is v), None) for s in shipped[AREA].unique()}
    ids = shipped[AREA].map(id_of)
    keep = ids.isin(to_dept)
    return shipped[keep].assign(**{AREA: ids[keep].map(to_dept)})


def training_mix(shipped: pd.DataFrame | None, own: pd.DataFrame | None = None,
                 corrections: pd.DataFrame | None = None, *, rule: MixRule = MixRule(),
                 taxonomy: Taxonomy | None = None) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The training frame and its sample weights (None: all equal).

    ``shipped``: the bundled + generated messages; ``own``: a department's labelled
    records; ``corrections``: handlers' corrections (the latest label of a message wins
    over its row in ``own`` or ``shipped``). With ``own``, the shipped text is restricted to
    its areas (and left out when they are not areas of the taxonomy).
    """
    parts = {name: validate_feedback(df, require_labels=True) for name, df in
             (("shipped", shipped), ("own", own), ("corrections", corrections)) if df is not None and len(df)}
    if "own" in parts and "shipped" in parts:
        aligned = _aligned(parts["shipped"], parts["own"][AREA].unique(), taxonomy)
        parts.pop("shipped") if aligned is None or aligned.empty else parts.update(shipped=aligned)
    if "corrections" in parts:
        fixed = set(parts["corrections"][MESSAGE_ID])
        parts = {k: (v if k == "corrections" else v[~v[MESSAGE_ID].isin(fixed)]) for k, v in parts.items()}
    dept = pd.concat([parts[k][AREA] for k in ("own", "corrections") if k in parts] + [pd.Series([], dtype=object)])
    if "shipped" in parts and (dept.value_counts().reindex(parts["shipped"][AREA].unique(), fill_value=0)
                               >= rule.enough_per_area).all():
        parts.pop("shipped")
    if not parts:
        raise ValueError("feedback: nothing to train on")
    frame = pd.concat(list(parts.values()), ignore_index=True)
    if frame[MESSAGE_ID].duplicated().any():  # shipped and department ids may collide
        frame[MESSAGE_ID] = [f"{k}:{i}" for k, v in parts.items() for i in v[MESSAGE_ID]]
    if "shipped" not in parts:
        return frame, None
    weight = {"shipped": 1.0, "own": rule.own_weight, "corrections": rule.correction_weight}
    return frame, np.concatenate([np.full(len(v), weight[k]) for k, v in parts.items()])
