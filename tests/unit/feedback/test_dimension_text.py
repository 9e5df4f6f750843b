import numpy as np
import pytest

from govperf_ml.contracts import DataContractError
from govperf_ml.feedback.dimension_text import TextDimensionHeads, cue_counts, cue_pattern
from govperf_ml.feedback.taxonomy import load_taxonomy

TEXTS = ["物业乱收费，押金不退", "学校收取补课费", "停车费涨价了", "the fee doubled", "refund my deposit",
         "反映了半年至今没有回复", "迟迟不办理", "still no reply after months", "一直拖延", "waiting for a year",
         "公园很漂亮", "谢谢你们", "the bus stop is nice", "business is good"]
Y = [["fees"]] * 5 + [["timeliness"]] * 5 + [[]] * 4


def test_cues_count_chinese_substrings_and_whole_english_words():
    pats = [cue_pattern(["收费", "bus"]), cue_pattern([])]
    C = cue_counts(["乱收费又收费", "business bus", "nothing"], pats)
    assert C.shape == (3, 2)
    assert np.allclose(C[:, 0], np.log1p([2, 1, 0])) and (C[:, 1] == 0).all()


def test_heads_learn_dimensions_and_skip_unlabelled_ones():
    m = TextDimensionHeads(C=10.0, min_labels=3).fit(TEXTS, Y)
    dims = list(m.dimension_classes_)
    assert dims == list(load_taxonomy().dimensions)
    assert set(np.asarray(dims)[m.has_head_]) == {"fees", "timeliness"}
    P = m.predict_proba(["小区物业乱收费", "至今没有回复", "the clerk was rude"])
    assert P.shape == (3, len(dims)) and ((P >= 0) & (P <= 1)).all()
    f, t = dims.index("fees"), dims.index("timeliness")
    assert P[0, f] > 0.5 > P[1, f] and P[1, t] > 0.5 > P[0, t]
    assert (P[:, dims.index("attitude")] == 0).all()


def test_weights_and_lengths_are_checked():
    with pytest.raises(DataContractError, match="sample_weight"):
        TextDimensionHeads().fit(TEXTS, Y, sample_weight=np.zeros(len(TEXTS)))
    with pytest.raises(DataContractError, match="label lists") as err:
        TextDimensionHeads().fit(TEXTS, Y[:-1])
    assert err.value.field == "dimensions"
