"""The govperf-ml HTTP service (FastAPI): the only package that imports fastapi."""
