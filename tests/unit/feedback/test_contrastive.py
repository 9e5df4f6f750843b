import numpy as np
import pytest

from govperf_ml.contracts import DataContractError
from govperf_ml.feedback.contrastive import contrastive_pairs, contrastive_tune
from govperf_ml.feedback.embedder import Embedder

Y = np.array([[1, 0], [1, 0], [1, 1], [0, 1], [0, 1], [0, 0]], dtype=bool)


def test_pairs_follow_the_labels():
    pairs = contrastive_pairs(Y, n_pairs=200, seed=1)
    assert len(pairs) == 200 and {t for _, _, t in pairs} == {0.0, 1.0}
    for i, j, t in pairs:
        assert i != j
        if t == 1.0:
            assert (Y[i] & Y[j]).any()
    assert contrastive_pairs(Y, n_pairs=200, seed=1) == pairs  # seeded


def test_pairs_need_a_usable_dimension():
    with pytest.raises(DataContractError, match="contrastive") as err:
        contrastive_pairs(np.zeros((4, 2), dtype=bool), n_pairs=4)
    assert err.value.field == "dimensions"


def test_tuning_pulls_same_dimension_messages_together(minilm_path, tmp_path):
    texts = ["the fee doubled", "they charge hidden fees", "refund my deposit, the fee was wrong",
             "nobody replied for months", "still waiting after a year", "thank you"]
    out = contrastive_tune(minilm_path, texts, Y, tmp_path / "tuned", n_pairs=64, batch_size=8, lr=1e-4, max_seq_length=32)
    before = Embedder(model=minilm_path, cache_dir=False, max_seq_length=32).encode(texts)
    after = Embedder(model=out, cache_dir=False, max_seq_length=32).encode(texts)

    def gap(E):  # same-dimension minus cross-dimension cosine
        return E[0] @ E[1] - E[0] @ E[4]

    assert not np.allclose(before, after)
    assert gap(after) > gap(before)
