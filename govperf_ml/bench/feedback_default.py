"""The served default on real messages it never trained on, and how fast corrections teach it.

* **Served default, no Teddy training**: each idea is trained only on text we may ship (the
  bundled corpus, the generated messages, the taxonomy's descriptions) and scored on the
  Teddy Cup titles, split in two stratified halves (seed 0): the *selection* half chose the
  blend weights, the *report* half is held out. Also: held-out macro-F1 on our own corpus
  (in-corpus), review share (area confidence < 0.6), and macro-F1 on the hand-written
  English evaluation file ``govperf_ml/data/feedback_eval_en.csv`` (kept out of training).
* **Active learning**: a new department's messages (the selection half) arrive at the
  served default; each round handlers correct the lowest-confidence messages of the review
  queue, the model is retrained on our corpus plus the corrections, weighted (what ``govperf
  train feedback`` does with stored corrections, :mod:`govperf_ml.feedback.mixing`) and
  scored on the report half, next to a model trained on the whole half with labels.
* **A department's records**: ``govperf train feedback --feedback`` on the selection half's
  labels (10, 30, 100 per area, all), scored on the report half
  (:mod:`govperf_ml.bench.feedback_mix`, which also chose the weights).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from govperf_ml.contracts import DataContractError
from govperf_ml.feedback.area_prior import AreaPrior
from govperf_ml.bench.feedback_mix import correction_curve, department_rows, fit_mix
from govperf_ml.feedback.classifiers import served_default_classifier
from govperf_ml.feedback.mixing import MixRule, keeping_shipped
from govperf_ml.feedback.taxonomy import load_taxonomy
from govperf_ml.feedback.tfidf import TfidfFeedbackClassifier

EVAL_EN = Path(__file__).resolve().parents[1] / "data" / "feedback_eval_en.csv"
REVIEW = 0.6
CURVE = (0, 100, 200, 400, 800, 1600, 3200)


def teddy_halves(titles: pd.DataFrame, *, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Titles with area ids (labels mapped by their Chinese names), split into selection / report halves."""
    zh2id = {v["zh"]: k for k, v in load_taxonomy().areas.items()}
    area = titles["label"].map(zh2id)
    if area.isna().any():
        raise DataContractError(f"teddy labels not in the taxonomy: {sorted(set(titles['label'][area.isna()]))}", field="label")
    df = pd.DataFrame({"message_id": [f"T{i}" for i in range(len(titles))], "text": titles["text"].to_numpy(), "area": area})
    sel, rep = train_test_split(df, test_size=0.5, random_state=seed, stratify=df["area"])
    return sel.reset_index(drop=True), rep.reset_index(drop=True)


def _scores(P, classes, truth) -> dict:
    pred = np.asarray(classes)[P.argmax(axis=1)]
    return {"macro_f1": f1_score(truth, pred, average="macro"), "accuracy": accuracy_score(truth, pred),
            "review": float((P.max(axis=1) < REVIEW).mean())}


def _members(est, texts):
    """TF-IDF, embedding and prior probabilities of a fitted served default (for the weight grid)."""
    from govperf_ml.feedback.tfidf import prepare_text

    texts = [prepare_text(t) for t in texts]
    E = est.embedder_.encode(texts)
    P1, P2 = est._member_proba(est.members_, texts, E)
    prior = est.prior_ or AreaPrior(temperature=est.prior_temperature).fit(list(est.classes_), embed=est.embedder_.encode)
    return P1, P2, prior.predict_proba(E)


def _blend(m, tw, pw):
    return (1 - pw) * (tw * m[0] + (1 - tw) * m[1]) + pw * m[2]


def default_rows(corpus: pd.DataFrame, bundled: pd.DataFrame, sel: pd.DataFrame, rep: pd.DataFrame,
                 en: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each idea's figures (table 1) and the blend-weight grid on the selection half (table 2)."""
    _, hold = train_test_split(corpus, test_size=0.2, random_state=0, stratify=corpus["area"])
    fit_on = corpus.drop(hold.index)
    rows = []

    def add(idea, P_in, P_sel, P_rep, P_en, classes, secs):
        r_rep = _scores(P_rep, classes, rep["area"])
        rows.append({"idea": idea, "in_corpus_f1": _scores(P_in, classes, hold["area"])["macro_f1"],
                     "teddy_selection_f1": _scores(P_sel, classes, sel["area"])["macro_f1"],
                     "teddy_report_f1": r_rep["macro_f1"], "teddy_report_acc": r_rep["accuracy"],
                     "review_share": r_rep["review"], "english_f1": _scores(P_en, classes, en["area"])["macro_f1"],
                     "english_review": _scores(P_en, classes, en["area"])["review"], "train_s": secs})

    sets = [hold["text"].tolist(), sel["text"].tolist(), rep["text"].tolist(), en["text"].tolist()]
    for idea, train in (("tfidf, bundled 487 only (before)", bundled), ("tfidf, bundled + generated", fit_on)):
        t0 = time.perf_counter()
        m = TfidfFeedbackClassifier().fit(train)
        add(idea, *[m.predict_proba(s) for s in sets], m.classes_, time.perf_counter() - t0)
    t0 = time.perf_counter()
    est = served_default_classifier().fit(fit_on)
    secs = time.perf_counter() - t0
    parts = [_members(est, s) for s in sets]
    for idea, tw, pw in (("USE + logreg, bundled + generated", 0.0, 0.0), ("area prior only (zero-shot)", 0.0, 1.0),
                         ("tfidf + USE, no prior", est.tfidf_weight, 0.0),
                         ("served default: tfidf + USE + prior", est.tfidf_weight, est.prior_weight)):
        add(idea, *[_blend(p, tw, pw) for p in parts], est.classes_, secs)
    grid = [{"tfidf_weight": tw, "prior_weight": pw, **{f"selection_{k}": v for k, v in
            _scores(_blend(parts[1], tw, pw), est.classes_, sel["area"]).items()}}
            for tw in (0.3, 0.5, 0.7) for pw in (0.0, 0.2, 0.4, 0.6)]
    return pd.DataFrame(rows), pd.DataFrame(grid)


def active_learning(corpus: pd.DataFrame, sel: pd.DataFrame, rep: pd.DataFrame, *, steps=CURVE,
                    rule: MixRule = MixRule()) -> pd.DataFrame:
    """Macro-F1 on the report half after n handler corrections from the review queue, each
    retrain weighting them as ``govperf train feedback`` does (``rule``; the shipped text is
    kept: its held-out part is the gate's)."""
    rule = keeping_shipped(rule)
    rows = correction_curve(corpus, sel, rep, rule, [s for s in steps if s <= len(sel)])
    full = fit_mix(corpus, None, sel, rule=rule)
    rows.append({"corrections": f"all {len(sel)} (fully trained)",
                 **_scores(full.predict_proba(rep["text"].tolist()), full.classes_, rep["area"])})
    own = TfidfFeedbackClassifier().fit(sel)  # reference: the department's labels alone, no corpus
    rows.append({"corrections": f"reference: tfidf on the {len(sel)} labels only",
                 **_scores(own.predict_proba(rep["text"].tolist()), own.classes_, rep["area"])})
    return pd.DataFrame(rows)


def corrections_to_reach(curve: pd.DataFrame, tol: float = 0.02):
    """Fewest corrections on the curve within ``tol`` macro-F1 of the fully trained row (None: not reached)."""
    steps = curve[curve["corrections"].map(lambda c: isinstance(c, (int, np.integer)))]
    full = curve[curve["corrections"].astype(str).str.contains("fully trained")]
    target = float(full["macro_f1"].iloc[0]) - tol
    hit = steps[steps["macro_f1"] >= target]
    return int(hit["corrections"].iloc[0]) if len(hit) else None


def run(titles: pd.DataFrame, *, quick: bool = False) -> tuple[list, dict]:
    """Tables and summary figures of both parts; ``titles`` has columns text, label (Teddy's)."""
    from govperf_ml.sample_city import load_feedback_corpus, load_training_corpus

    sel, rep = teddy_halves(titles)
    if quick:
        sel, rep = sel.head(300), rep.head(300)
    en = pd.read_csv(EVAL_EN)
    corpus = load_training_corpus()
    table, grid = default_rows(corpus, load_feedback_corpus(), sel, rep, en)
    curve = active_learning(corpus, sel, rep, steps=CURVE[:3] if quick else CURVE)
    dept = department_rows(corpus, sel, rep, sizes=(10, None) if quick else (10, 30, 100, None))
    if not quick:  # how MixRule's weights were chosen (selection half only)
        from govperf_ml.bench.feedback_mix import correction_weight_grid, own_weight_grid

        selection = [("Mix weights, selection half: a department's records (n per area) at each weight, or alone",
                      own_weight_grid(corpus, sel)),
                     ("Mix weights, selection half: review-queue corrections at each weight", correction_weight_grid(corpus, sel))]
    best = table.iloc[-1]
    own = dept[dept["department_labels"].str.startswith("all") & dept["idea"].str.startswith("default path")].iloc[0]
    summary = {"default_teddy_f1": round(best["teddy_report_f1"], 4), "default_review_share": round(best["review_share"], 4),
               "default_english_f1": round(best["english_f1"], 4), "corrections_to_within_0.02": corrections_to_reach(curve),
               "department_csv_f1": round(own["macro_f1"], 4)}
    tables = [("Served default, no Teddy training (Teddy titles: selection half chose the weights; report half held out)", table),
              ("Blend weights on the selection half (the served default's were chosen here)", grid),
              ("Active learning: handler corrections from the review queue (weighted, see MixRule) -> macro-F1 on the report half",
               curve),
              ("A department's own labelled records (from the selection half) -> macro-F1 on the report half", dept)]
    if not quick:
        tables += selection
    return tables, summary
