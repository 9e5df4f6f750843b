"""Loaded by schemathesis' command line (``SCHEMATHESIS_HOOKS``) in ``govperf bench fuzz``:
registers the refined schema-valid-data check of :mod:`govperf_ml.bench.fuzz`."""

from govperf_ml.bench.fuzz import checks

checks()
