"""Dask plumbing for the batch paths: one client, partitions by series, results in order.

Every batch model here is per-series or global over series, so a panel is cut into chunks
of whole series (or whole peer groups, see :func:`govperf_ml.batch.chunk_key`) and each
chunk goes to a ``dask.distributed`` worker. Dask does the scheduling, the retries and the
data movement; this module only

* opens a client: to a running scheduler (``address``) or to a ``LocalCluster`` of
  ``workers`` processes (:func:`cluster`; neither: no client, chunks run in this process);
* sends the fitted model to every worker once and maps a task over the chunks with a
  bounded number in flight, so a panel larger than memory streams through
  (:func:`map_ordered`), yielding the results in the order of the chunks;
* measures the resident memory of the workers (:func:`workers_rss`).

Dask is imported lazily: the service and the single-process path never need it
(``pip install govperf-ml[scale]``).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections import deque
from collections.abc import Callable, Iterable, Iterator

__all__ = ["ClusterUnavailable", "cluster", "current", "map_ordered", "map_series", "using", "n_workers", "peak_rss", "warm", "workers_rss"]


class ClusterUnavailable(RuntimeError):
    """The Dask scheduler does not answer (or Dask is not installed)."""


def _distributed():
    try:
        import distributed
    except ImportError as err:  # pragma: no cover - depends on the install
        raise ClusterUnavailable(
            "--dask/--workers need dask.distributed: pip install 'govperf-ml[scale]'") from err
    return distributed


@contextlib.contextmanager
def cluster(address: str | None = None, workers: int | None = None, *, timeout: float = 10.0,
            processes: bool = True, memory_limit: str | None = "auto"):
    """A ``distributed.Client`` for the scheduler at ``address`` or a new ``LocalCluster`` of
    ``workers`` single-threaded workers; ``None`` (run in this process) when neither is given.

    Raises :class:`ClusterUnavailable` naming the address when the scheduler does not answer
    within ``timeout`` seconds.
    """
    if address is None and not workers:
        yield None
        return
    distributed = _distributed()
    if address is not None:
        try:
            client = distributed.Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as err:
            raise ClusterUnavailable(f"the Dask scheduler at {address} does not answer: {err}") from err
        with client:
            yield client
        return
    import dask

    # Dask starts worker processes with MALLOC_TRIM_THRESHOLD_=65536 (give freed memory
    # back to the system at once): scoring a chunk allocates and frees many small arrays,
    # and with it the same chunk took 1.7x the time of a plain process. Not set here.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}), \
            distributed.LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=processes,
                                     memory_limit=memory_limit, dashboard_address=":0") as lc, \
            distributed.Client(lc, set_as_default=False) as client:
        yield client


_ACTIVE = contextvars.ContextVar("govperf_dask_client", default=None)


@contextlib.contextmanager
def using(client):
    """Make ``client`` the one :func:`map_series` uses inside the block (training: the
    local models' per-series work goes to its workers). Workers never have one."""
    token = _ACTIVE.set(client)
    try:
        yield client
    finally:
        _ACTIVE.reset(token)


def current():
    """The client of the enclosing :func:`using` block, or None."""
    return _ACTIVE.get()


def map_series(fn: Callable, data, *, chunks_per_worker: int = 4, **shared) -> list | None:
    """``[fn(chunk, **shared) ...]`` over chunks of whole series of ``data`` (a long frame
    whose series are contiguous, e.g. validated) on the active client, in order; ``None``
    when there is no active client (the caller then runs the whole frame itself)."""
    client = current()
    if client is None:
        return None
    import numpy as np

    from govperf_ml.contracts import ID

    ids = data[ID].to_numpy()
    starts = np.r_[0, np.flatnonzero(ids[1:] != ids[:-1]) + 1]
    n = min(len(starts), chunks_per_worker * n_workers(client))
    bounds = [*starts[np.linspace(0, len(starts), n, endpoint=False).astype(int)], len(ids)]
    chunks = (data.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:]))
    return list(map_ordered(fn, chunks, client=client, shared=shared))


def warm(client, obj) -> None:
    """Import the module of ``obj``'s class on every worker (first imports take seconds)."""
    if client is not None:
        import importlib

        client.run(importlib.import_module, type(obj).__module__)


def n_workers(client) -> int:
    """Workers of ``client`` (1 for in-process runs)."""
    if client is None:
        return 1
    return max(1, len(client.scheduler_info(n_workers=-1)["workers"]))


def map_ordered(fn: Callable, chunks: Iterable, *, client=None, shared: dict | None = None,
                in_flight: int | None = None, retries: int = 1) -> Iterator:
    """``fn(chunk, **shared)`` for every chunk, yielded in the order of ``chunks``.

    With a client, ``shared`` (the fitted model, side tables) is sent to every worker once;
    at most ``in_flight`` chunks (default: two per worker) are submitted and not yet
    consumed, so memory stays bounded however long ``chunks`` is. Without a client the
    chunks run one after another here.
    """
    shared = dict(shared or {})
    if client is None:
        for chunk in chunks:
            yield fn(chunk, **shared)
        return
    remote = {k: client.scatter(v, broadcast=True, hash=False) for k, v in shared.items()}
    limit = in_flight or 2 * n_workers(client)
    pending: deque = deque()
    try:
        for chunk in chunks:
            [data] = client.scatter([chunk], hash=False)
            pending.append(client.submit(fn, data, **remote, pure=False, retries=retries))
            del data
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for fut in pending:
            fut.cancel()


def peak_rss() -> int:
    """Peak resident memory of this process in bytes (Linux ``ru_maxrss`` is in KiB)."""
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def workers_rss(client) -> int:
    """Sum of the workers' peak resident memory in bytes (0 without a client or when the
    workers are threads of this process)."""
    if client is None or not all(str(a).startswith("tcp") for a in client.scheduler_info(n_workers=-1)["workers"]):
        return 0
    return int(sum(client.run(peak_rss).values()))
