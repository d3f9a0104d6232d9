"""The worker's event-delivery loop slows down while the outbox is empty: each idle pass doubles the
wait up to a second (or the polling interval, if longer), and any pass that did something goes back
to the polling interval."""

from __future__ import annotations

from smartap_erp.events.worker import IDLE_MAX_SECONDS, next_wait


def test_idle_passes_back_off_to_a_second_then_stay() -> None:
    waits, wait = [], 0.1
    for _ in range(6):
        wait = next_wait(0.1, wait, busy=False)
        waits.append(wait)
    assert waits == [0.2, 0.4, 0.8, IDLE_MAX_SECONDS, IDLE_MAX_SECONDS, IDLE_MAX_SECONDS]


def test_a_busy_pass_goes_back_to_the_interval() -> None:
    assert next_wait(0.1, IDLE_MAX_SECONDS, busy=True) == 0.1


def test_an_interval_longer_than_the_cap_is_kept() -> None:
    assert next_wait(5.0, 5.0, busy=False) == 5.0
    assert next_wait(1.0, 1.0, busy=False) == 1.0  # the default: as before, once a second
