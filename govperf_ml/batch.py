"""Batch scoring of panels larger than memory: chunks of whole series in, rows out as they come.

A panel is read from CSV or Parquet in chunks of about ``chunk_rows`` rows that each hold
whole series (:func:`read_chunks`), each chunk is scored (here or on Dask workers, see
:mod:`govperf_ml.parallel`), and the results are appended to the output as they arrive
(:class:`AtomicWriter`: a temporary file renamed at the end, so a failed run leaves none).
Only a few chunks are in memory at a time.

Chunks keep whole *partitions*: a series, or for an anomaly pipeline with a peer check the
whole peer group (every unit of one indicator, :func:`chunk_key`), so every chunk is
scored exactly as in the whole panel.

* By series, the rows of each series must be contiguous in the input (any file sorted by
  ``unique_id``); the output keeps the input's order of series.
* By peer group, the input is first split into one Parquet file per group in a temporary
  folder (groups are seldom contiguous: files are usually sorted by unit), then read back
  group by group in the order groups first appear. Within a chunk, rows come in the
  model's order (by ``unique_id``, ``ds``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from govperf_ml.contracts import ID, DataContractError, short

__all__ = ["AtomicWriter", "BatchJob", "as_frame", "chunk_key", "is_large", "read_chunks", "run_batch", "run_task"]

#: inputs at least this big are scored in chunks even without --workers / --dask
LARGE_BYTES = 256 * 2**20


def is_large(path: Path) -> bool:
    return Path(path).stat().st_size >= LARGE_BYTES


def _is_parquet(path: Path) -> bool:
    return Path(path).suffix.lower() in (".parquet", ".pq")


def chunk_key(capability: str, estimator) -> Callable | None:
    """The partition of a series when it is not the series itself: the peer group of an
    anomaly pipeline's peer check (``None``: partition by series)."""
    if capability != "anomaly":
        return None
    for check in (getattr(estimator, "checks_", None) or {}).values():
        if callable(getattr(check, "group_of", None)):
            return check.group_of
    return None


# ---------------------------------------------------------------------------- reading
def _batches(path: Path, rows: int) -> Iterator:
    """Row batches of a Parquet file (Arrow tables: converted where they are scored) or of
    a CSV file (pandas frames, pandas' parser as in the single-process path)."""
    if _is_parquet(path):
        import pyarrow as pa
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
            yield pa.Table.from_batches([batch])
        return
    with pd.read_csv(path, chunksize=rows) as reader:
        for frame in reader:
            yield _ids_as_text(frame)


def _ids_as_text(df: pd.DataFrame) -> pd.DataFrame:
    if ID in df.columns:
        df[ID] = df[ID].where(df[ID].isna(), df[ID].astype(str))
    return df


def as_frame(chunk) -> pd.DataFrame:
    """A chunk as a pandas frame (an Arrow table is converted: on the worker that scores it)."""
    if isinstance(chunk, pd.DataFrame):
        return chunk
    import pyarrow as pa

    df = chunk.to_pandas()
    for name, typ in zip(chunk.column_names, chunk.schema.types):
        if pa.types.is_list(typ) or pa.types.is_large_list(typ):  # lists, as the model returned them
            df[name] = chunk.column(name).to_pylist()
    return _ids_as_text(df)


def _as_table(batch):
    import pyarrow as pa

    return batch if isinstance(batch, pa.Table) else pa.Table.from_pandas(batch, preserve_index=False)


def read_chunks(path: Path, *, chunk_rows: int = 500_000, key: Callable | None = None,
                spill_dir: Path | None = None) -> Iterator:
    """Chunks of about ``chunk_rows`` rows holding whole series (``key=None``: pandas
    frames) or whole groups ``key(unique_id)`` (Arrow tables, see :func:`as_frame`); see
    the module docstring for the order."""
    if key is None:
        yield from _by_series(as_frame(b) for b in _batches(Path(path), chunk_rows))
        return
    with tempfile.TemporaryDirectory(prefix="govperf-spill-", dir=spill_dir) as folder:
        yield from _by_group(_batches(Path(path), chunk_rows), key, chunk_rows, Path(folder))


def _by_series(batches) -> Iterator[pd.DataFrame]:
    """Cut each batch after its last complete series; the rest starts the next chunk."""
    seen: set = set()
    carry = None
    for batch in batches:
        if ID not in batch.columns:
            raise DataContractError(f"series: missing column {ID!r}", field=ID)
        if carry is not None:
            batch = pd.concat([carry, batch], ignore_index=True)
        ids = batch[ID].to_numpy()
        starts = np.r_[0, np.flatnonzero(ids[1:] != ids[:-1]) + 1]
        runs = ids[starts]
        again = [u for u in runs[:-1] if u in seen] + list(pd.Series(runs[:-1]).loc[lambda s: s.duplicated()])
        if again:
            raise DataContractError(
                f"series: rows of series {short(again)} are not contiguous; sort the input by {ID} to score it "
                "in chunks", field=ID, ids=list(again))
        seen.update(runs[:-1])
        cut = int(starts[-1])
        carry = batch.iloc[cut:].reset_index(drop=True)
        if cut:
            yield batch.iloc[:cut].reset_index(drop=True)
    if carry is not None and len(carry):
        if carry[ID].iloc[0] in seen:
            raise DataContractError(f"series: rows of series {short([carry[ID].iloc[0]])} are not contiguous; "
                                    f"sort the input by {ID}", field=ID)
        yield carry


def _by_group(batches, key: Callable, chunk_rows: int, folder: Path) -> Iterator:
    """Split the batches into one Parquet file per group and batch, then read whole groups
    back. Arrow all the way (sorted by group, sliced, written; read back and sent as
    tables): the driver converts nothing to pandas, the workers do."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    order: dict = {}
    for b, batch in enumerate(batches):
        table = _as_table(batch)
        if ID not in table.column_names:
            raise DataContractError(f"series: missing column {ID!r}", field=ID)
        ids = table.column(ID)
        if not pa.types.is_string(ids.type) and not pa.types.is_large_string(ids.type):
            ids = pc.cast(ids, pa.string())
            table = table.set_column(table.column_names.index(ID), ID, ids)
        uniq = pc.unique(ids)
        code = np.array([order.setdefault(key(u) if isinstance(u, str) else "", len(order))
                         for u in uniq.to_pylist()], dtype=np.int64)
        g = code[pc.index_in(ids, value_set=uniq).to_numpy(zero_copy_only=False).astype(np.int64)]
        rows = np.argsort(g, kind="stable")
        g = g[rows]
        table = table.take(pa.array(rows))
        edges = np.flatnonzero(np.r_[True, g[1:] != g[:-1], True])
        for a, z in zip(edges[:-1], edges[1:]):
            pq.write_table(table.slice(a, z - a), folder / f"{g[a]:06d}-{b:06d}.parquet")
    buffer: list = []
    for g in range(len(order)):
        buffer += [pq.read_table(f) for f in sorted(folder.glob(f"{g:06d}-*.parquet"))]
        if sum(t.num_rows for t in buffer) >= chunk_rows:
            yield pa.concat_tables(buffer)
            buffer = []
    if buffer:
        yield pa.concat_tables(buffer)


# ---------------------------------------------------------------------------- writing
class AtomicWriter:
    """Appends frames to ``path`` (CSV, or Parquet by its suffix) through a temporary file in
    the same folder that replaces ``path`` only when the block ends without an error."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")
        self.rows = 0
        self._parquet = None

    def __enter__(self) -> AtomicWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self

    def write(self, df) -> None:
        """Append a pandas frame or an Arrow table."""
        if _is_parquet(self.path):
            self._write_parquet(df)
        else:
            as_frame(df).to_csv(self.tmp, mode="a", header=self.rows == 0, index=False)
        self.rows += len(df)

    def _write_parquet(self, df) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._parquet is None:
            schema = df.schema if isinstance(df, pa.Table) else pa.Schema.from_pandas(df, preserve_index=False)
            for i, field in enumerate(schema):
                if pa.types.is_null(field.type):  # all blank in the first chunk: text
                    schema = schema.set(i, field.with_type(pa.string()))
                elif pa.types.is_list(field.type) and pa.types.is_null(field.type.value_type):  # all empty lists
                    schema = schema.set(i, field.with_type(pa.list_(pa.string())))
            self._schema = schema.remove_metadata()
            self._parquet = pq.ParquetWriter(self.tmp, self._schema)
        schema = self._schema
        if isinstance(df, pa.Table):
            table = df.select(schema.names).cast(schema)
        else:
            table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
        self._parquet.write_table(table)

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if exc_type is None:
            if not self.tmp.exists():
                pd.DataFrame().to_csv(self.tmp, index=False)
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------------------- tasks
def _gc_paused(task: Callable) -> Callable:
    """Run ``task`` with Python's cyclic garbage collector paused. Scoring a chunk builds
    millions of small objects (reasons, lists of detectors) that hold no cycles; each
    allocation burst set off collections that walked the whole heap again, about a tenth
    of the CPU time of monthly anomaly scoring. Reference counting still frees everything;
    the collector resumes after the chunk."""
    import functools
    import gc

    @functools.wraps(task)
    def run(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return task(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return run


@_gc_paused
def score_anomaly(chunk: pd.DataFrame, *, estimator, directions=None) -> pd.DataFrame:
    return estimator.score(chunk, directions=directions)


@_gc_paused
def score_forecast(chunk: pd.DataFrame, *, estimator, h: int, level, future=None) -> pd.DataFrame:
    extra = {}
    if future is not None:
        extra["X_df"] = future[future[ID].astype(str).isin(set(chunk[ID]))]
    return estimator.forecast(chunk, h=h, level=level, **extra)


@_gc_paused
def score_targets(chunk: pd.DataFrame, *, estimator, targets: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Risk of the targets of the chunk's series, with their row in the targets file (``_row``)."""
    mine = targets[targets[ID].astype(str).isin(set(chunk[ID]))]
    if mine.empty:
        return pd.DataFrame()
    return estimator.assess(chunk, mine, as_of=as_of).assign(_row=mine.index.to_numpy())


TASKS = {"anomaly": score_anomaly, "forecast": score_forecast, "targets": score_targets}


def run_task(chunk, *, capability: str, label: str, **options):
    """One chunk through ``TASKS[capability]`` where it runs (a Dask worker or here): an
    Arrow chunk becomes a frame here, and rows (not targets: those are put in the targets
    file's order at the end) go back as an Arrow table with the ``model_version`` column,
    so the driver only writes them."""
    res = TASKS[capability](as_frame(chunk), **options)
    if capability == "targets":
        return res
    return _as_table(res.assign(model_version=label))


@dataclass
class BatchJob:
    """One batch run: a capability's fitted estimator, its model label (the
    ``model_version`` column) and the task's options (``TASKS[capability]``'s keywords)."""

    capability: str
    estimator: object
    label: str
    options: dict
    chunk_rows: int = 500_000


def run_batch(job: BatchJob, path: Path, output: Path, *, client=None) -> int:
    """Score ``path`` chunk by chunk (on ``client``'s workers if given) into ``output``;
    returns the rows written. Nothing is left at ``output`` when it fails."""
    from govperf_ml.parallel import map_ordered

    chunks = read_chunks(path, chunk_rows=job.chunk_rows, key=chunk_key(job.capability, job.estimator))
    results = map_ordered(run_task, chunks, client=client, shared={
        "capability": job.capability, "label": job.label, "estimator": job.estimator, **job.options})
    with AtomicWriter(output) as writer:
        if job.capability == "targets":
            writer.write(_targets_in_order(results, job.options["targets"]).assign(model_version=job.label))
        else:
            for res in results:
                writer.write(res)
    return writer.rows


def _targets_in_order(results, targets: pd.DataFrame) -> pd.DataFrame:
    """The chunks' target risks in the order of the targets file (one row a target: small)."""
    parts = [r for r in results if len(r)]
    res = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["_row"])
    unknown = sorted(set(targets.loc[~targets.index.isin(res["_row"]), ID].astype(str)))
    if unknown:
        raise DataContractError(f"targets: no history for series {short(unknown)}", field=ID, ids=unknown)
    return res.sort_values("_row", kind="stable").drop(columns="_row").reset_index(drop=True)
