import pickle
import sqlite3

import numpy as np
import pytest

from govperf_ml.contracts import DataContractError
from govperf_ml.feedback.embedder import ENV_MODEL, KNOWN_MODELS, Embedder, model_licence, resolve_model


def test_local_path_encodes_normalised_vectors(embedder):
    X = embedder.encode(["the bus was late again", "garbage is not collected"])
    assert X.shape == (2, 384) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)


def test_model_from_environment(monkeypatch, minilm_path):
    monkeypatch.setenv(ENV_MODEL, minilm_path)
    name, kind, path = resolve_model(None)
    assert kind == "sentence-transformers" and path == name


def test_unknown_model_is_a_contract_error(tmp_path):
    with pytest.raises(DataContractError, match="neither a packaged model"):
        resolve_model(str(tmp_path / "nope"))


def test_pickle_drops_the_model_and_reloads_lazily(embedder):
    blob = pickle.dumps(embedder)
    assert len(blob) < 10_000  # the torch model is not in the pickle
    clone = pickle.loads(blob)
    assert getattr(clone, "_encoder", None) is None
    np.testing.assert_allclose(clone.encode(["a pothole on main street"]), embedder.encode(["a pothole on main street"]), atol=1e-5)

    assert clone._encoder is embedder._encoder  # one loaded model per process, shared


def test_loaded_model_is_shared_only_between_equal_settings(embedder, minilm_path):
    same = Embedder(model=minilm_path, num_threads=1, max_seq_length=64, cache_dir=False)
    assert same._load() is embedder._load()
    other = Embedder(model=minilm_path, num_threads=1, max_seq_length=32, cache_dir=False)
    assert other._load() is not embedder._load() and other._load().max_seq_length == 32


def test_pii_is_masked_before_the_model_sees_it(embedder, monkeypatch):
    seen = []
    monkeypatch.setattr(type(embedder), "_encode_raw", lambda self, texts: seen.extend(texts) or np.zeros((len(texts), 3), np.float32))
    embedder.encode(["我叫王小明，电话13812345678，身份证430102199001011234", "mail li.lei@example.com"])
    joined = " ".join(seen)
    for secret in ("13812345678", "430102199001011234", "王小明", "li.lei@example.com"):
        assert secret not in joined
    assert "[phone]" in joined and "[email]" in joined


def test_cache_stores_vectors_not_text(embedder, tmp_path, monkeypatch):
    e = Embedder(model=embedder.model, max_seq_length=64, cache_dir=str(tmp_path))
    e._encoder, e._kind = embedder._encoder, embedder._kind  # share the loaded model
    first = e.encode(["street lights are broken on elm road"])
    calls = []
    monkeypatch.setattr(type(e), "_encode_raw", lambda self, texts: calls.append(texts))
    np.testing.assert_array_equal(e.encode(["street lights are broken on elm road"]), first)
    assert calls == []  # served from the cache
    (db,) = tmp_path.glob("*.sqlite")
    rows = sqlite3.connect(db).execute("select h from v").fetchall()
    assert len(rows) == 1 and b"elm road" not in db.read_bytes()


def test_every_named_model_has_a_licence():
    for name in KNOWN_MODELS:
        assert model_licence(name) and "unknown" not in model_licence(name)
    assert "non-commercial" in model_licence("m3e-small")
