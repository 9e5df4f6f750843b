"""Every label of the console in Chinese (the default) and English."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from api.console import messages

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"


def _catalog() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(messages.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{messages.__name__}.{info.name}")
        for key, labels in module.MESSAGES.items():
            if key in merged:
                raise ValueError(f"console label {key!r} is defined twice (again in messages/{info.name}.py)")
            if set(labels) != set(LANGS):
                raise ValueError(f"console label {key!r} in messages/{info.name}.py needs exactly {LANGS}")
            merged[key] = labels
    return merged


MESSAGES = _catalog()


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` in ``lang`` (the key itself if unknown, so a gap is visible)."""
    lang = lang if lang in LANGS else DEFAULT_LANG

    def t(key: str, **values: object) -> str:
        text = MESSAGES.get(key, {}).get(lang, key)
        return text.format(**values) if values else text

    return t
