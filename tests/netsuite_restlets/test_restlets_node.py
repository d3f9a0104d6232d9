"""Runs the NetSuite RESTlet suite (Node's built-in test runner) from pytest.

The SuiteScript 2.1 RESTlets in netsuite/restlets/ are JavaScript that runs inside NetSuite; their tests
run on Node against fakes of N/record, N/search, N/runtime, N/error and N/format. This module runs
netsuite/restlets/run-tests.sh and checks that it succeeded and that node's own summary reports tests
passed and none failed. It is skipped only where `node` is not installed (CI has it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUN_TESTS = REPO / "netsuite" / "restlets" / "run-tests.sh"
# node --test summary lines: "\u2139 fail 0" (spec reporter, an information sign) or "# fail 0" (tap).
INFO = "\u2139"
SUMMARY = re.compile(rf"^(?:{INFO}|#) (tests|pass|fail|cancelled) (\d+)\s*$", re.MULTILINE)


def _summary(output: str) -> dict[str, int]:
    return {name: int(count) for name, count in SUMMARY.findall(output)}


def test_summary_parser_reads_both_reporters() -> None:
    spec = f"{INFO} tests 3\n{INFO} pass 2\n{INFO} fail 1\n"
    assert _summary(spec) == {"tests": 3, "pass": 2, "fail": 1}
    assert _summary("# tests 4\n# pass 4\n# fail 0\n# cancelled 0\n")["fail"] == 0


@pytest.mark.skipif(
    shutil.which("node") is None, reason="node is not on PATH; the RESTlet suite needs Node 20 or newer"
)
def test_restlet_node_suite_passes() -> None:
    proc = subprocess.run(
        ["bash", str(RUN_TESTS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    summary = _summary(proc.stdout)
    assert summary.get("fail") == 0, output[-6000:]
    assert summary.get("cancelled", 0) == 0, output[-6000:]
    assert summary.get("pass", 0) >= 50, summary
    assert summary["pass"] == summary["tests"], summary
