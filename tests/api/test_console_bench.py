"""``govperf bench console`` at a tiny size: its table and RESULT line (so it cannot rot).

The bench's process (``python -m api.console.bench``) runs in this one, to save its
start-up (importing the service twice costs more than the bench at this size).
"""

import contextlib
import io
import json
import subprocess

from typer.testing import CliRunner

from api.console import bench as service_bench
from govperf_ml.bench import console as console_bench
from govperf_ml.cli import app


def in_process(command, env, timeout_s):
    assert command[1:3] == ["-m", "api.console.bench"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        service_bench.main(command[3:])
    return subprocess.CompletedProcess(command, 0, out.getvalue(), "")


def test_the_console_bench_fills_times_and_reports(monkeypatch):
    monkeypatch.setattr(console_bench, "_process", in_process)
    res = CliRunner().invoke(app, ["bench", "console", "--alerts", "300", "--series", "60", "--requests", "3"])
    assert res.exit_code == 0, res.output
    assert "inbox, 2-3 filters" in res.output and "alert page" in res.output
    last = res.output.strip().splitlines()[-1]
    assert last.startswith("RESULT ")
    summary = json.loads(last.removeprefix("RESULT "))
    assert (summary["alerts"], summary["series"], summary["requests"]) == (300, 60, 3)
    for key in ("inbox_p95_ms", "inbox_first_p95_ms", "inbox_filtered_p95_ms", "inbox_deep_p95_ms",
                "alert_page_p95_ms"):
        assert 0 < summary[key] < 30_000, key
    assert summary["inbox_p95_ms"] == max(summary[f"inbox_{k}_p95_ms"] for k in ("first", "filtered", "deep"))
    assert isinstance(summary["under_goal"], bool) and summary["seconds"] > 0


def test_a_failed_bench_process_ends_with_its_output(monkeypatch):
    monkeypatch.setattr(console_bench, "_process",
                        lambda command, env, timeout_s: subprocess.CompletedProcess(command, 1, "", "no database"))
    res = CliRunner().invoke(app, ["bench", "console", "--alerts", "5"])
    assert res.exit_code == 2 and "no database" in res.output
