"""SetFit-style contrastive tuning of a local sentence encoder for multi-label dimensions.

Pairs are drawn per dimension (one-vs-rest, as SetFit does for multi-label data): an
anchor with dimension ``d`` and either another message with ``d`` (target cosine 1) or
one without it (target 0). The encoder is tuned on the pairs with the cosine-similarity
loss (mean squared error between the pair's cosine and its target) for ``epochs`` passes,
then saved as a sentence-transformers folder that :class:`~govperf_ml.feedback.embedder.Embedder`
loads by path. Nothing is downloaded: the starting weights are a local folder.
"""

from __future__ import annotations

import numpy as np

from govperf_ml.contracts import DataContractError


def contrastive_pairs(Y: np.ndarray, *, n_pairs: int, seed: int = 0) -> list[tuple[int, int, float]]:
    """``(i, j, target)`` pairs: half positive (both have the dimension), half negative."""
    Y = np.asarray(Y, dtype=bool)
    usable = [j for j in range(Y.shape[1]) if 2 <= Y[:, j].sum() < len(Y)]
    if not usable:
        raise DataContractError("contrastive tuning needs a dimension with 2+ positive and 1+ negative messages",
                                field="dimensions")
    rng = np.random.default_rng(seed)
    pos = {j: np.flatnonzero(Y[:, j]) for j in usable}
    neg = {j: np.flatnonzero(~Y[:, j]) for j in usable}
    out = []
    for k in range(n_pairs):
        j = usable[rng.integers(len(usable))]
        i = int(rng.choice(pos[j]))
        if k % 2 == 0:
            other = int(rng.choice(pos[j][pos[j] != i]))
            out.append((i, other, 1.0))
        else:
            out.append((i, int(rng.choice(neg[j])), 0.0))
    return out


def _step(model, optim, texts_a, texts_b, target):
    import torch

    feats = [model.tokenize(t) for t in (texts_a, texts_b)]
    emb = [model(f)["sentence_embedding"] for f in feats]
    cos = torch.nn.functional.cosine_similarity(emb[0], emb[1])
    loss = torch.nn.functional.mse_loss(cos, torch.as_tensor(target, dtype=cos.dtype))
    optim.zero_grad()
    loss.backward()
    optim.step()
    return loss.item()


def contrastive_tune(model_path: str, texts: list[str], Y, out_dir: str, *, n_pairs=2000, epochs=1, batch_size=16,
                     lr=2e-5, max_seq_length=128, seed=0) -> str:
    """Tune the encoder at ``model_path`` on pairs of ``texts`` (labels ``Y``); save to ``out_dir``."""
    import torch
    from sentence_transformers import SentenceTransformer

    if len(texts) != len(Y):
        raise DataContractError(f"contrastive tuning: {len(texts)} texts but {len(Y)} label rows", field="dimensions")
    torch.manual_seed(seed)
    model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
    model.max_seq_length = max_seq_length
    model.train()
    optim = torch.optim.AdamW(model.parameters(), lr=lr)
    pairs = contrastive_pairs(Y, n_pairs=n_pairs, seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(pairs))
        for s in range(0, len(order), batch_size):
            batch = [pairs[k] for k in order[s : s + batch_size]]
            _step(model, optim, [texts[i] for i, _, _ in batch], [texts[j] for _, j, _ in batch], [t for _, _, t in batch])
    model.eval()
    model.save(str(out_dir))
    return str(out_dir)
