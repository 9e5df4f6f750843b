"""Champion bookkeeping that needs no MLflow: model names, the alias history, a move.

``govperf_ml.registry`` moves the ``champion`` alias; before each move it records the
champion being replaced in the registered model's tag ``champion.history`` (a JSON list of
earlier champions, oldest first, the last :data:`HISTORY_KEEP`), so a rollback knows where
to go back to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from govperf_ml.vocabulary import CAPABILITIES

MODEL_NAMES = {c: f"govperf-{c}" for c in CAPABILITIES}
HISTORY_TAG = "champion.history"
HISTORY_KEEP = 20


class RegistryError(ValueError):
    """A name, version or champion move the registry cannot make (one line, for the CLI)."""


@dataclass(frozen=True)
class ChampionMove:
    """What a promotion or rollback did to a model's ``champion`` alias."""

    capability: str
    name: str
    before: str | None
    after: str
    action: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def capability_of(name: str) -> str:
    """The capability named by a capability (``forecast``) or a registered name (``govperf-forecast``)."""
    for cap, registered in MODEL_NAMES.items():
        if name in (cap, registered):
            return cap
    raise RegistryError(f"unknown model {name!r}: use one of {', '.join(CAPABILITIES)} "
                        f"or {', '.join(MODEL_NAMES.values())}")


def history_of(tags: dict) -> list[str]:
    """Earlier champions (oldest first) from a registered model's tags; unreadable is empty."""
    try:
        value = json.loads(tags.get(HISTORY_TAG, "[]"))
    except (TypeError, ValueError):
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def pushed(history: list[str], before) -> list[str]:
    """``history`` with the champion being replaced added (none: unchanged)."""
    return history if before is None else [*history, str(before)]


def history_tag(history: list[str]) -> str:
    return json.dumps([str(v) for v in history[-HISTORY_KEEP:]])
