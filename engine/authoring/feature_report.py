"""pytest plugin of `ipcheck rules test`: every scenario's outcome, and every failing step of a Chinese
scenario (feature file, line, scenario, example row, step and the step's own message), one JSON line each
in the file IPCHECK_FEATURE_REPORT names, so the command can tell the author in Chinese what failed
instead of showing a traceback."""

from __future__ import annotations

import json
import os
from typing import Any


def _write(record: dict[str, Any]) -> None:
    path = os.environ.get("IPCHECK_FEATURE_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")


def pytest_bdd_step_error(
    request: Any, feature: Any, scenario: Any, step: Any, step_func: Any, step_func_args: Any, exception: Exception
) -> None:
    callspec = getattr(request.node, "callspec", None)
    example = callspec.params.get("_pytest_bdd_example", {}) if callspec is not None else {}
    message = str(exception).split("\nassert ")[0].strip() or type(exception).__name__
    _write(
        {
            "kind": "failure",
            "feature": feature.filename,
            "line": step.line_number,
            "scenario": scenario.name,
            "example": example,
            "step": f"{step.keyword} {step.name}".strip(),
            "message": message,
        }
    )


def pytest_runtest_logreport(report: Any) -> None:
    if report.when == "call" or report.outcome != "passed":
        _write({"kind": "outcome", "outcome": report.outcome, "when": report.when})
