"""The feedback taxonomy (service areas and dimensions) from ``govperf_ml/data/taxonomy.yaml``
(package data; ``GOVPERF_TAXONOMY`` or a path argument name another file)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "taxonomy.yaml"


@dataclass(frozen=True)
class Taxonomy:
    areas: dict  # id -> {zh, en}
    dimensions: dict  # id -> {zh, en, description, examples}

    def area_name(self, area: str, lang: str = "zh") -> str:
        return self.areas.get(area, {}).get(lang, area)


@lru_cache(maxsize=4)
def load_taxonomy(path: str | os.PathLike | None = None) -> Taxonomy:
    p = Path(path or os.environ.get("GOVPERF_TAXONOMY", DEFAULT_PATH))
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    return Taxonomy(areas=dict(data["areas"]), dimensions=dict(data["dimensions"]))
