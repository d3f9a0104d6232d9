"""Time-ordered ids (`db.ids.uuid7`, RFC 9562 §5.7): the layout, the order within a process, and the
tables whose ORM default uses them (issue 17: bulk inserts append to their primary-key index)."""

from __future__ import annotations

import threading
import uuid

import pytest

from smartap_erp.db import ids
from smartap_erp.db.ids import uuid7, uuid7_time, uuid7s
from smartap_erp.db.models import (
    ERPConflict,
    ERPConnection,
    ERPPurchaseOrderLink,
    ERPVendorLink,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
)


class Clock:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def time_ns(self) -> int:
        return self.ms * 1_000_000


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    made = Clock(1_717_200_000_000)  # 2024-06-01T00:00:00Z
    monkeypatch.setattr(ids.time, "time_ns", made.time_ns)
    monkeypatch.setattr(ids, "_last_ms", 0)
    monkeypatch.setattr(ids, "_last_bits", 0)
    return made


def test_layout_is_version_7_with_the_millisecond_timestamp(clock: Clock) -> None:
    made = uuid7()
    assert isinstance(made, uuid.UUID)
    assert made.version == 7
    assert made.variant == uuid.RFC_4122
    assert uuid7_time(made) == clock.ms
    assert made == uuid.UUID(str(made)) == uuid.UUID(hex=made.hex)  # a normal UUID in every form
    assert hash(made) == hash(uuid.UUID(made.hex))


def test_ids_of_one_millisecond_count_up_and_a_new_millisecond_draws_new_bits(clock: Clock) -> None:
    first, second = uuid7(), uuid7()
    assert second.int == first.int + 1
    assert uuid7_time(second) == clock.ms
    clock.ms += 1
    third = uuid7()
    assert uuid7_time(third) == clock.ms and third > second
    # 74 random bits per millisecond: two fresh milliseconds do not share them
    clock.ms += 1
    fourth = uuid7()
    assert (fourth.int & ((1 << 80) - 1)) != (third.int & ((1 << 80) - 1))


def test_order_holds_when_the_clock_steps_back(clock: Clock) -> None:
    before = uuid7()
    clock.ms -= 5_000
    after = uuid7()
    assert after > before
    assert uuid7_time(after) == uuid7_time(before)


def test_counter_overflow_moves_to_the_next_millisecond(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    uuid7()
    monkeypatch.setattr(ids, "_last_bits", (1 << 74) - 1)
    rolled = uuid7()
    assert uuid7_time(rolled) == clock.ms + 1
    assert rolled.version == 7 and rolled.variant == uuid.RFC_4122


def test_a_block_of_ids_is_what_calls_in_one_millisecond_give(clock: Clock) -> None:
    before = uuid7()
    block = uuid7s(5)
    after = uuid7()
    assert [made.int for made in block] == [before.int + n for n in range(1, 6)]
    assert after.int == block[-1].int + 1
    assert all(made.version == 7 and made.variant == uuid.RFC_4122 for made in block)
    assert all(uuid7_time(made) == clock.ms for made in block) and uuid7s(0) == []
    clock.ms += 1
    fresh = uuid7s(2)
    assert uuid7_time(fresh[0]) == clock.ms and fresh[0] > after and fresh[1].int == fresh[0].int + 1
    assert fresh[0] == uuid.UUID(str(fresh[0]))


def test_a_block_with_no_room_left_in_its_millisecond_takes_the_next(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    uuid7()
    monkeypatch.setattr(ids, "_last_bits", (1 << 74) - 3)  # room for 2 more ids in this millisecond
    block = uuid7s(3)
    assert all(uuid7_time(made) == clock.ms + 1 for made in block)
    assert block == sorted(block) and uuid7() > block[-1]


def test_many_ids_are_unique_and_sorted_even_across_threads() -> None:
    made: list[list[uuid.UUID]] = [[] for _ in range(4)]

    def fill(out: list[uuid.UUID]) -> None:
        out.extend(uuid7() for _ in range(20_000))

    threads = [threading.Thread(target=fill, args=(out,)) for out in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [i for out in made for i in out]
    assert len(set(everything)) == len(everything)
    for out in made:
        assert out == sorted(out)  # each thread sees them increase
    assert all(i.version == 7 for i in everything)


@pytest.mark.parametrize(
    "model", [Vendor, PurchaseOrder, PurchaseOrderLine, ERPVendorLink, ERPPurchaseOrderLink, ERPConflict]
)
def test_bulk_import_tables_default_to_time_ordered_ids(model: type) -> None:
    default = model.__table__.c.id.default  # type: ignore[attr-defined]
    assert default.arg(None).version == 7


def test_connections_keep_random_ids() -> None:
    """The demo names invoices after the first hex digits of its connection's id."""
    default = ERPConnection.__table__.c.id.default  # type: ignore[attr-defined]
    assert default.arg(None).version == 4
