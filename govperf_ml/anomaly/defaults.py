"""The served anomaly defaults chosen by the multi-corpus suite, and the stream detector they name.

``govperf bench anomaly --suite ROOT --write-defaults PATH`` chooses one setting of the
served detectors by the leave-one-corpus-out rule applied to ALL corpora (the setting a
new, unseen corpus would get) and writes it, with the corpora it was chosen on, the date
and the per-corpus figures, to a JSON file; the committed one is
``govperf_ml/data/anomaly_defaults.json``. :class:`~govperf_ml.anomaly.AnomalyPipeline`
reads its ``setting`` for the sub-daily routing: ``stream`` names the detector of streams
(``ensemble``: :class:`~govperf_ml.anomaly.stream.StreamingEnsemble`; ``gaussian``:
:class:`~govperf_ml.anomaly.stream_gaussian.WindowedGaussian`; ``off``: sub-daily series
stay with the monthly checks), ``base`` its alarm level, ``suppress`` its repeat
suppression in rows and ``own_quantile`` (optional, 0 if absent) whether each series'
alarm level rises to that quantile of its own earlier scores.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from govperf_ml.contracts import DataContractError

__all__ = ["DEFAULTS_FILE", "STREAM_KINDS", "load_defaults", "stream_detector", "default_stream"]

DEFAULTS_FILE = Path(__file__).resolve().parent.parent / "data" / "anomaly_defaults.json"
STREAM_KINDS = ("ensemble", "gaussian", "off")
REQUIRED = ("setting", "chosen_on", "date", "figures")


def _fail(path, what: str, field: str):
    raise DataContractError(f"anomaly defaults {path}: {what}", field=f"anomaly_defaults.{field}")


def _check_setting(path, setting) -> dict:
    if not isinstance(setting, dict):
        _fail(path, "'setting' must be an object", "setting")
    if setting.get("stream") not in STREAM_KINDS:
        _fail(path, f"setting.stream must be one of {list(STREAM_KINDS)}, got {setting.get('stream')!r}",
              "setting.stream")
    base = setting.get("base")
    if not isinstance(base, (int, float)) or isinstance(base, bool) or not 0.0 < base < 1.0:
        _fail(path, f"setting.base must be a number in (0, 1), got {base!r}", "setting.base")
    sup = setting.get("suppress")
    if not isinstance(sup, int) or isinstance(sup, bool) or sup < 0:
        _fail(path, f"setting.suppress must be a whole number >= 0, got {sup!r}", "setting.suppress")
    own = setting.get("own_quantile", 0.0)
    if not isinstance(own, (int, float)) or isinstance(own, bool) or not 0.0 <= own < 1.0:
        _fail(path, f"setting.own_quantile must be a number in [0, 1), got {own!r}", "setting.own_quantile")
    z = setting.get("z_threshold")
    if z is not None and (not isinstance(z, (int, float)) or not math.isfinite(z) or z <= 0):
        _fail(path, f"setting.z_threshold must be a positive number, got {z!r}", "setting.z_threshold")
    return setting


def load_defaults(path=None) -> dict:
    """The defaults file (``path`` or the committed one), checked; errors name the file and field."""
    path = Path(path) if path is not None else DEFAULTS_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(path, "not found", "file")
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        _fail(path, f"not valid JSON ({err})", "file")
    if not isinstance(doc, dict):
        _fail(path, "must be a JSON object", "file")
    for key in REQUIRED:
        if key not in doc:
            _fail(path, f"lacks {key!r}", key)
    if not isinstance(doc["chosen_on"], list) or len(doc["chosen_on"]) < 2:
        _fail(path, "'chosen_on' must list the corpora (at least two) the setting was chosen on", "chosen_on")
    _check_setting(path, doc["setting"])
    return doc


def stream_detector(setting: dict):
    """The (unfitted) stream detector a setting names, or None for ``stream: off``."""
    from govperf_ml.anomaly.stream import StreamingEnsemble
    from govperf_ml.anomaly.stream_gaussian import WindowedGaussian

    kind = setting["stream"]
    if kind == "off":
        return None
    make = StreamingEnsemble if kind == "ensemble" else WindowedGaussian
    return make(base=float(setting["base"]), suppress=int(setting["suppress"]),
                own_quantile=float(setting.get("own_quantile", 0.0)))


def default_stream(path=None):
    """The served stream detector (unfitted) from the defaults file; None when streams stay
    with the monthly checks."""
    return stream_detector(load_defaults(path)["setting"])
