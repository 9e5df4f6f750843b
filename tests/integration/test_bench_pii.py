"""``govperf bench pii``: the planted corpus is labelled right, and the bench's output keeps
its format (a small run on the bundled sample city)."""

import json

import numpy as np
from typer.testing import CliRunner

from govperf_ml.bench import pii
from govperf_ml.bench.pii_corpus import KINDS, base_texts, plant
from govperf_ml.cli import app
from govperf_ml.feedback.pii import id_card_valid, luhn_valid


def test_planted_spans_are_labelled_and_seeded():
    texts = base_texts(None)
    assert {lang for _, lang, _ in texts} == {"zh", "en"} and {src for _, _, src in texts} == {"sample_city"}
    samples = plant(texts, n=60, seed=3)
    assert [s.text for s in samples] == [s.text for s in plant(texts, n=60, seed=3)]
    assert [s.text for s in samples] != [s.text for s in plant(texts, n=60, seed=4)]
    kinds = {sp.kind for s in samples for sp in s.spans}
    assert kinds == set(KINDS)
    for s in samples:
        for sp in s.spans:
            value = s.text[sp.start:sp.end]
            assert value and value == value.strip(), (sp, s.text)
            if sp.kind == "id_card":
                assert id_card_valid(value)
            if sp.kind == "bank_card":
                assert luhn_valid(value.replace(" ", ""))
            # a planted value never runs into ASCII letters or digits around it
            assert not (s.text[sp.end:sp.end + 1].isascii() and s.text[sp.end:sp.end + 1].isalnum()
                        and value[-1].isascii() and value[-1].isalnum())


def test_masked_chars_aligns_placeholders():
    hit = pii.masked_chars("call Ann Miller now", "call [NAME] now")
    assert hit.tolist() == [False] * 5 + [True] * 10 + [False] * 4
    assert not pii.masked_chars("无个人信息", "无个人信息").any()


def test_bench_pii_end_to_end_via_cli():
    res = CliRunner().invoke(app, ["bench", "pii", "--n", "50", "--seed", "1"])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert any(line.split()[:3] == ["metric", "in_corpus", "old"] for line in lines), res.output
    assert any("no held-out split" in line for line in lines)
    summary = json.loads(lines[-1].removeprefix("RESULT "))
    assert lines[-1].startswith("RESULT ")
    for key in ("pii_recall_min", "pii_recall_names", "pii_recall_addresses", "overmask_rate", "msgs_per_s"):
        assert np.isfinite(summary[key]), key
    assert 0 <= summary["overmask_rate"] <= 1 and summary["msgs_per_s"] > 0
    assert summary["pii_recall_min"] > summary["baseline_recall_min"]  # the point of the new masker
    assert summary["splits"] == ["in_corpus"]


def test_bench_pii_refuses_a_missing_folder(tmp_path):
    res = CliRunner().invoke(app, ["bench", "pii", "--data", str(tmp_path / "nowhere"), "--n", "5"])
    assert res.exit_code != 0 and "nowhere" in res.output
