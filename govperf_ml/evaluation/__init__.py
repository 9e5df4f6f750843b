"""Evaluation: benchmark scoring and metrics (pure functions, no I/O beyond the loaders).

* :mod:`.nab` — Numenta Anomaly Benchmark scoring (profiles, threshold sweep,
  normalisation) and event-level precision/recall on NAB windows.
* :mod:`.nab_baselines` — NAB's windowed-Gaussian baseline, to check the scorer against
  the published scoreboard.
* :mod:`.m4` — M4 data loading, sMAPE / MASE / OWA / MSIS, the official Naive2.
* :mod:`.metrics` — Brier, log loss, AUC, calibration (ECE, reliability), event F1.
"""
