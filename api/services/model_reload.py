"""Champions reloaded without a restart when the registry's ``champion`` alias moves.

:meth:`ModelReloader.reload` asks the registry which version each capability's alias
points at (one call per capability, no artefacts read); for each one that differs from the
loaded model it loads the new version in a worker thread and swaps it into
``app.state.models`` by replacing the dict (one assignment): requests already running keep
the model object they were given. A version that fails to load keeps the old model, is
logged, and is not tried again by the periodic check until the alias moves on (a manual
reload tries again).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from govperf_ml.vocabulary import CAPABILITIES

logger = logging.getLogger("govperf.api.models")


@dataclass(frozen=True)
class Swap:
    capability: str
    name: str
    old_version: str | None
    new_version: str


@dataclass(frozen=True)
class Failure:
    capability: str
    version: str | None
    error: str


@dataclass
class ReloadReport:
    swapped: list[Swap] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)


def _registry():
    from govperf_ml import registry  # MLflow is only imported when the registry is consulted

    return registry


class ModelReloader:
    """Keeps ``state.models`` on the registry's champions (``state`` is ``app.state``)."""

    def __init__(self, state: Any, uri: str | None, metrics: Any = None):
        self.state = state
        self.uri = uri
        self.metrics = metrics
        self._lock = asyncio.Lock()
        self._failed: dict[str, str | None] = {}  # capability -> version that failed to load

    def _loaded_version(self, capability: str) -> str | None:
        model = (getattr(self.state, "models", None) or {}).get(capability)
        return str(model.version) if model is not None else None

    def _champion(self, capability: str) -> str | None:
        mv = _registry().champion_version(capability, uri=self.uri)
        return str(mv.version) if mv is not None else None

    async def reload(self, *, retry_failed: bool = True) -> ReloadReport:
        """Load every champion whose alias moved; one reload at a time."""
        report = ReloadReport()
        async with self._lock:
            for capability in CAPABILITIES:
                await self._check(capability, report, retry_failed)
        return report

    async def _check(self, capability: str, report: ReloadReport, retry_failed: bool) -> None:
        old = self._loaded_version(capability)
        try:
            wanted = await asyncio.to_thread(self._champion, capability)
        except Exception as err:
            logger.error("model reload: cannot read the %s champion from the registry: %s", capability, err)
            report.failed.append(Failure(capability, None, f"registry unavailable: {type(err).__name__}"))
            return
        if wanted is None or wanted == old:  # no champion (any more): keep what is loaded
            return
        if not retry_failed and self._failed.get(capability) == wanted:
            return
        await self._load(capability, old, wanted, report)

    async def _load(self, capability: str, old: str | None, wanted: str, report: ReloadReport) -> None:
        registry = _registry()
        try:
            loaded = await asyncio.to_thread(registry.load_champion, capability, uri=self.uri)
            if loaded is None:
                raise LookupError("the champion alias was removed while loading")
        except Exception as err:
            self._failed[capability] = wanted
            logger.error("model reload: could not load %s v%s, keeping v%s: %s",
                         registry.MODEL_NAMES[capability], wanted, old or "none", err)
            report.failed.append(Failure(capability, wanted, str(err)))
            self._count(capability, "failed")
            return
        self._failed.pop(capability, None)
        if str(loaded.version) == old:  # the alias moved back meanwhile
            return
        self.state.models = {**(getattr(self.state, "models", None) or {}), capability: loaded}
        logger.info("model reload: %s v%s -> v%s", loaded.name, old or "none", loaded.version)
        report.swapped.append(Swap(capability, loaded.name, old, str(loaded.version)))
        self._count(capability, "swapped")

    def _count(self, capability: str, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.model_reloads.labels(capability, outcome).inc()

    async def run_every(self, interval_s: float) -> None:
        """Check every ``interval_s`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.reload(retry_failed=False)
            except Exception:  # never let the loop die
                logger.exception("model reload: unexpected error")
