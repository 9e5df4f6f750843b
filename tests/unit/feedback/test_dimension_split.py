import numpy as np
import pandas as pd
import pytest

from govperf_ml.contracts import DataContractError
from govperf_ml.feedback.dimension_split import (
    hash_fraction, heldout_mask, read_dimension_labels, split_dimension_labels)

IDS = [str(i) for i in range(2000)] + [f"EVEN{i:04d}" for i in range(200)]


def test_split_is_stable_and_independent_of_order_and_neighbours():
    mask = heldout_mask(IDS)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(IDS))
    assert (heldout_mask([IDS[i] for i in order]) == mask[order]).all()
    # a message keeps its side when the file grows or shrinks
    assert (heldout_mask(IDS[:300]) == mask[:300]).all()
    assert heldout_mask(["12383"])[0] == (hash_fraction("12383") < 0.3)


def test_split_size_near_fraction_and_parts_disjoint():
    labels = pd.DataFrame({"message_id": IDS, "dimensions": [[] for _ in IDS]})
    train, test = split_dimension_labels(labels)
    assert abs(len(test) / len(IDS) - 0.3) < 0.03
    assert not set(train["message_id"]) & set(test["message_id"])
    assert len(train) + len(test) == len(IDS)
    assert abs(heldout_mask(IDS, fraction=0.5).mean() - 0.5) < 0.03


def test_fraction_checked():
    with pytest.raises(DataContractError, match="fraction"):
        heldout_mask(IDS, fraction=1.0)


def test_read_labels_checks_columns_ids_and_dimensions(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("message_id,dimensions\n1,fees;timeliness\n2,\n", encoding="utf-8")
    df = read_dimension_labels(p, dimensions=["fees", "timeliness"])
    assert df["dimensions"].tolist() == [["fees", "timeliness"], []]
    with pytest.raises(DataContractError, match="unknown dimensions") as err:
        read_dimension_labels(p, dimensions=["fees"])
    assert err.value.field == "dimensions"
    p.write_text("message_id,dimensions\n1,fees\n1,\n", encoding="utf-8")
    with pytest.raises(DataContractError, match="duplicated") as err:
        read_dimension_labels(p)
    assert err.value.field == "message_id"
    p.write_text("id,dimensions\n1,fees\n", encoding="utf-8")
    with pytest.raises(DataContractError, match="message_id"):
        read_dimension_labels(p)
