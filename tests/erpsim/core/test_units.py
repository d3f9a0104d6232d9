"""Unit tests of the core building blocks: clock, seeded data, fault plans, limit counters."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from erpsim.core import (
    Clock,
    ConcurrencyGate,
    FaultInjector,
    FaultKind,
    FaultPlan,
    FaultSpecError,
    FixedWindow,
    SeededData,
    SlidingWindow,
    unique_name,
)


def test_fixed_clock_stands_still_and_advances() -> None:
    clock = Clock.fixed("2024-06-03T12:00:00+00:00")
    assert clock.now() == clock.now() == datetime(2024, 6, 3, 12, tzinfo=UTC)
    clock.advance(90)
    assert clock.now() == datetime(2024, 6, 3, 12, 1, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


async def test_clock_sleep_advances_instead_of_waiting() -> None:
    clock = Clock.fixed()
    before = clock.time()
    await clock.sleep(3600)
    assert clock.time() - before == pytest.approx(3600)


def test_clock_rejects_naive_start() -> None:
    with pytest.raises(ValueError, match="aware"):
        Clock(datetime(2024, 1, 1))  # noqa: DTZ001 (the point of the test)


def test_seeded_data_is_deterministic_per_seed() -> None:
    def draw(seed: int) -> list[object]:
        data = SeededData(seed)
        return [
            data.company_name(),
            data.email("Acme Supply"),
            data.address(),
            data.ein(),
            data.amount("10", "99.99"),
            data.token(12),
        ]

    assert draw(7) == draw(7)
    assert draw(7) != draw(8)


def test_amounts_are_decimals_in_range_with_two_places() -> None:
    data = SeededData(1)
    amounts = [data.amount("1.00", "5.00") for _ in range(500)]
    assert all(isinstance(a, Decimal) and Decimal("1") <= a <= Decimal("5") for a in amounts)
    assert all(a.as_tuple().exponent == -2 for a in amounts)
    assert len(set(amounts)) > 100


def test_unique_name_appends_a_counter_case_insensitively() -> None:
    taken: set[str] = set()
    names = [unique_name(n, taken) for n in ("Acme", "ACME", "acme", "Beta")]
    assert names == ["Acme", "ACME 2", "acme 3", "Beta"]


def test_fault_spec_parses_every_key_and_round_trips() -> None:
    spec = (
        "latency=50ms;jitter=1s;rate429=0.1;rate5xx=5%;timeout=0.01;timeout_after=2s;drop=0.01;"
        "next429=2;next5xx=1;nexttimeout=1;nextdrop=3;commit_then_fail=1;lost_response=504;"
        "expire_tokens;path=/v3/"
    )
    plan = FaultPlan.parse(spec)
    assert plan.latency == pytest.approx(0.05)
    assert plan.jitter == 1.0
    assert plan.rate5xx == pytest.approx(0.05)
    assert plan.timeout_after == 2.0
    assert (plan.next429, plan.next5xx, plan.next_timeout, plan.next_drop) == (2, 1, 1, 3)
    assert plan.commit_then_fail == 1 and plan.lost_response == "504"
    assert plan.expire_tokens and plan.path == "/v3/"
    assert FaultPlan.parse(plan.to_spec()) == plan


@pytest.mark.parametrize("spec", ["", "none", "off", "  ;  "])
def test_empty_specs_mean_no_faults(spec: str) -> None:
    assert FaultPlan.parse(spec) == FaultPlan()
    assert FaultPlan.parse(spec).to_spec() == ""


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("bogus=1", "unknown fault"),
        ("latency=fast", "bad duration"),
        ("rate429=1.5", "outside"),
        ("rate429=0.6;rate5xx=0.6", "must not exceed 1"),
        ("latency=1ms;latency=2ms", "twice"),
        ("commit_then_fail=x", "whole number"),
        ("lost_response=200", "lost_response"),
        ("rate429", "needs a value"),
        ("expire_tokens=5", "flag"),
        ("path=v3", "start with /"),
    ],
)
def test_bad_fault_specs_are_rejected(spec: str, message: str) -> None:
    with pytest.raises(FaultSpecError, match=message):
        FaultPlan.parse(spec)


def test_latency_option_does_not_override_an_explicit_latency() -> None:
    assert FaultPlan.parse("").with_latency(0.2).latency == 0.2
    assert FaultPlan.parse("latency=10ms").with_latency(0.2).latency == pytest.approx(0.01)


def test_injector_draws_are_seeded_and_roughly_at_the_requested_rate() -> None:
    plan = FaultPlan.parse("rate429=0.2;rate5xx=0.1")

    def kinds(seed: int) -> list[FaultKind | None]:
        injector = FaultInjector(plan, seed=seed)
        return [injector.decide("/x").kind for _ in range(2000)]

    first = kinds(3)
    assert first == kinds(3)
    assert first != kinds(4)
    assert 300 < first.count(FaultKind.THROTTLE) < 500
    assert 120 < first.count(FaultKind.SERVER_ERROR) < 280


def test_next_counters_fire_exactly_n_times_and_respect_path() -> None:
    injector = FaultInjector(FaultPlan.parse("next429=2;path=/api/"))
    assert injector.decide("/other").kind is None
    kinds = [injector.decide("/api/x").kind for _ in range(3)]
    assert kinds == [FaultKind.THROTTLE, FaultKind.THROTTLE, None]
    assert injector.injected == {"throttle": 2}


def test_sliding_window_counts_the_last_window_only() -> None:
    window = SlidingWindow(limit=3, window=60)
    for t in (0, 10, 20):
        assert window.allows("k", t)
        window.hit("k", t)
    assert not window.allows("k", 59)
    assert window.retry_after("k", 59) == pytest.approx(1)
    assert window.allows("k", 60.5)
    assert window.allows("other", 30)


def test_fixed_window_resets_at_the_boundary() -> None:
    window = FixedWindow(limit=2, window=60)
    window.hit("k", 100)
    window.hit("k", 119)
    assert not window.allows("k", 119.5)
    assert window.retry_after("k", 119.5) == pytest.approx(0.5)
    assert window.allows("k", 120)


def test_concurrency_gate_tracks_peak_per_key() -> None:
    gate = ConcurrencyGate(limit=2)
    assert gate.try_enter("a") and gate.try_enter("a")
    assert not gate.try_enter("a")
    assert gate.try_enter("b")
    gate.leave("a")
    assert gate.try_enter("a")
    assert gate.peak == {"a": 2, "b": 1}
