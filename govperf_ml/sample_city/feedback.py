"""The team-written citizen-feedback corpus bundled with the package."""

from __future__ import annotations

import io
from importlib import resources

import pandas as pd

from govperf_ml import contracts as C

_CORPUS_RESOURCE = "data/feedback_corpus.csv"


def load_feedback_corpus() -> pd.DataFrame:
    """The team-written feedback corpus bundled with the package, validated.

    Returns the ``validate_feedback`` output: ``dimensions`` is a list of dimension ids.
    Columns: message_id, text, channel, received_at, org_unit, area, dimensions, lang.
    """
    raw = resources.files("govperf_ml").joinpath(_CORPUS_RESOURCE).read_text(encoding="utf-8")
    df = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False)
    return C.validate_feedback(df, require_labels=True)


def load_training_corpus(*, n_zh: int | None = None, n_en: int | None = None) -> pd.DataFrame:
    """What the served default trains on: the bundled corpus plus the generated messages
    (:func:`~govperf_ml.sample_city.feedback_gen.generate_feedback`, seeded), validated.

    ``n_zh`` / ``n_en``: how many generated Chinese / English messages (default: the
    generator's, 2,800 / 560); fewer train faster with the same code (the CLI tests do so).
    """
    from govperf_ml.sample_city.feedback_gen import generate_feedback

    sizes = {k: v for k, v in (("n_zh", n_zh), ("n_en", n_en)) if v is not None}
    both = pd.concat([load_feedback_corpus(), C.validate_feedback(generate_feedback(**sizes), require_labels=True)],
                     ignore_index=True)
    return C.validate_feedback(both, require_labels=True)
