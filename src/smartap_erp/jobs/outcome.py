"""What a finished job amounts to, for people and scripts: `judge` reads a job's status and output
(a sync's per-entity summaries, an export's or a payment sync's totals) and says whether everything
went through (`completed`), some records failed (`partial`) or nothing did / the job gave up
(`failed`), with one phrase per failure (what, how many, why, which sync log) and notes that are not
failures but need a person (vendors waiting in conflict review).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

COMPLETED, PARTIAL, FAILED = "completed", "partial", "failed"
LABELS = {"vendor": "vendors", "purchase_order": "purchase orders"}
SHOWN_ERRORS = 3


@dataclass
class Outcome:
    status: str
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _parts(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(result.get("results"), dict):
        return [(LABELS.get(name, name), part) for name, part in result["results"].items()]
    label = "export" if "invoices" in result else "payment status"
    return [(label, result)]


def _failure(label: str, part: dict[str, Any]) -> str | None:
    total = int(part.get("total_count", part.get("invoices", 0)) or 0)
    failed = int(part.get("error_count", part.get("failed", 0)) or 0)
    stopped = part.get("error_message")
    if not failed and not stopped and part.get("status") not in (PARTIAL, FAILED):
        return None
    what = "invoices" if label == "export" else "records"
    text = f"{label}: {failed} of {total} {what} failed"
    errors = list(part.get("errors") or [])
    if errors:
        text += ": " + "; ".join(str(e) for e in errors[:SHOWN_ERRORS])
        if failed > SHOWN_ERRORS:
            text += f"; and {failed - SHOWN_ERRORS} more"
    if stopped:
        text += f"; stopped: {stopped}"
    log_ids = [part["log_id"]] if part.get("log_id") else list(part.get("log_ids") or [])
    if log_ids:
        text += f" (sync log {', '.join(log_ids)})"
    return text


def judge(status: str, result: Any, error: str | None = None) -> Outcome:
    """The outcome of a job in DBOS state `status` with output `result` (or `error`)."""
    if status != "SUCCESS":
        return Outcome(FAILED, [error or f"the job ended {status}"])
    if not isinstance(result, dict):
        return Outcome(COMPLETED)
    outcome = Outcome(COMPLETED)
    succeeded = 0
    for label, part in _parts(result):
        succeeded += int(part.get("success_count", part.get("exported", 0)) or 0)
        failure = _failure(label, part)
        if failure is not None:
            outcome.failures.append(failure)
        review = int(part.get("review_count", 0) or 0)
        if review:
            outcome.notes.append(
                f"{review} {label} wait in conflict review: `smartap-erp conflicts list`, "
                "`conflicts resolve`, then `sync ... --full` to import them"
            )
    if outcome.failures:
        outcome.status = PARTIAL if succeeded else FAILED
    return outcome
