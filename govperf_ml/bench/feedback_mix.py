"""A department's own labels against the shipped text: choosing and reporting the mix rule.

:class:`~govperf_ml.feedback.mixing.MixRule`'s weights and threshold are chosen on the
*selection* half of the Teddy Cup titles, split again in two (seed 1): a department's
records or a review queue's corrections come from the first part, macro-F1 is measured
on the second. The rule chosen there is reported on the held-out *report* half:
``govperf train feedback --feedback <the department's CSV>`` (its default path) next to
the served default trained on the labels alone and TF-IDF on the labels alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from govperf_ml.feedback.classifiers import served_default_classifier
from govperf_ml.feedback.mixing import MixRule, training_mix
from govperf_ml.feedback.tfidf import TfidfFeedbackClassifier

REVIEW = 0.6


def _scores(P, classes, truth) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    pred = np.asarray(classes)[P.argmax(axis=1)]
    return {"macro_f1": f1_score(truth, pred, average="macro"), "accuracy": accuracy_score(truth, pred),
            "review": float((P.max(axis=1) < REVIEW).mean())}


def fit_mix(shipped, own=None, corrections=None, *, rule: MixRule):
    """The served default fitted the way ``govperf train feedback`` fits it."""
    frame, w = training_mix(shipped, own, corrections, rule=rule)
    return served_default_classifier().fit(frame, sample_weight=w)


def per_area(df: pd.DataFrame, n: int, *, seed: int = 2) -> pd.DataFrame:
    """The first ``n`` messages of each area after a seeded shuffle (a department's records)."""
    return df.sample(frac=1, random_state=seed).groupby("area", group_keys=False).head(n).reset_index(drop=True)


def inner_halves(sel: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The selection half split again (seed 1): where labels come from, where they are scored."""
    a, b = train_test_split(sel, test_size=0.5, random_state=1, stratify=sel["area"])
    return a.reset_index(drop=True), b.reset_index(drop=True)


def own_weight_grid(shipped, sel, *, sizes=(10, 30, 100, 1000), weights=(1.0, 3.0, 10.0, 30.0)) -> pd.DataFrame:
    """Selection macro-F1 of a department's records (``n`` per area) mixed at each weight,
    and of the records alone (weight 'alone'): the own weight and the drop threshold."""
    a, b = inner_halves(sel)
    rows = []
    for n in sizes:
        own = per_area(a, n)
        for w in (*weights, "alone"):
            rule = MixRule(own_weight=w, enough_per_area=10**9) if w != "alone" else MixRule(enough_per_area=0)
            est = fit_mix(shipped, own, rule=rule)
            rows.append({"per_area": n, "own_weight": w, **_scores(est.predict_proba(b["text"].tolist()), est.classes_, b["area"])})
    return pd.DataFrame(rows)


def review_queue(model, pool: pd.DataFrame, done: pd.DataFrame, n: int) -> pd.DataFrame:
    """``done`` plus the least confident messages of ``pool`` not yet corrected, ``n`` in all."""
    queue = pool[~pool["message_id"].isin(done["message_id"])]
    conf = model.predict_proba(queue["text"].tolist()).max(axis=1)
    return pd.concat([done, queue.iloc[np.argsort(conf)[: max(0, n - len(done))]]], ignore_index=True)


def correction_curve(shipped, pool, score_on, rule: MixRule, steps, *, start=None) -> list[dict]:
    """Macro-F1 on ``score_on`` after each number of corrections from ``pool``'s review queue."""
    model = start if start is not None else fit_mix(shipped, rule=rule)
    done, rows = pool.iloc[:0], []
    for n in steps:
        if n > len(done):
            done = review_queue(model, pool, done, n)
            model = fit_mix(shipped, None, done, rule=rule)
        rows.append({"corrections": n, **_scores(model.predict_proba(score_on["text"].tolist()), model.classes_, score_on["area"])})
    return rows


def correction_weight_grid(shipped, sel, *, weights=(1.0, 3.0, 10.0, 30.0), steps=(100, 400, 1600),
                           enough=(10**9,)) -> pd.DataFrame:
    """Selection macro-F1 of the review-queue curve at each correction weight (and drop threshold)."""
    a, b = inner_halves(sel)
    start = served_default_classifier().fit(shipped)
    rows = []
    for e in enough:
        for w in weights:
            rule = MixRule(correction_weight=w, enough_per_area=e)
            rows += [{"correction_weight": w, "enough_per_area": e, **r}
                     for r in correction_curve(shipped, a, b, rule, steps, start=start)]
    return pd.DataFrame(rows)


def department_rows(shipped, sel, rep, *, sizes=(10, 30, 100, None), rule: MixRule = MixRule()) -> pd.DataFrame:
    """Report-half figures of a department's records (``n`` per area; None: all of the
    selection half) through the default training path, alone in the served default, and
    in TF-IDF alone."""
    rows = []
    for n in sizes:
        own = sel if n is None else per_area(sel, n)
        label = f"all {len(own)}" if n is None else f"{n} per area ({len(own)})"
        for idea, est in (("default path (train feedback --feedback)", fit_mix(shipped, own, rule=rule)),
                          ("served default on the labels alone", served_default_classifier().fit(own)),
                          ("tfidf on the labels alone", TfidfFeedbackClassifier().fit(own))):
            rows.append({"department_labels": label, "idea": idea,
                         **_scores(est.predict_proba(rep["text"].tolist()), est.classes_, rep["area"])})
    return pd.DataFrame(rows)
