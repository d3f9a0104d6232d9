"""The generic `nextmalformed` / `malformed` fault: parsed, round-tripped, run down, refused if wrong."""

from __future__ import annotations

import pytest

from erpsim.core.faults import FaultInjector, FaultKind, FaultPlan, FaultSpecError


def test_malformed_parses_round_trips_and_runs_down() -> None:
    plan = FaultPlan.parse("nextmalformed=2; malformed=html; path=/v3/")
    assert (plan.next_malformed, plan.malformed, plan.path) == (2, "html", "/v3/")
    assert FaultPlan.parse(plan.to_spec()) == plan
    injector = FaultInjector(plan)
    kinds = [injector.decide("/v3/company/1/query").kind for _ in range(3)]
    assert kinds == [FaultKind.MALFORMED, FaultKind.MALFORMED, None]
    assert injector.decide("/oauth2/token").kind is None  # outside the path prefix
    assert injector.injected == {"malformed": 2}
    assert FaultPlan.parse("nextmalformed=1").malformed == "empty"


def test_an_unknown_malformed_body_is_refused() -> None:
    with pytest.raises(FaultSpecError, match="malformed is one of empty, html, shape, not 'xml'"):
        FaultPlan.parse("malformed=xml")
