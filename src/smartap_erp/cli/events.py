"""`smartap-erp events ...`: outbound events to SmartAP (`smartap_erp.app.events` does the work;
docs/events.md). `subscriptions add|list|remove|enable|disable` (add prints the `whsec_` signing secret
alone on stdout, once: only its ciphertext is stored), `list` (events recorded), `deliveries
[--failed]` (the delivery log), `delivery ID` (one delivery with its attempts) and `replay ID` (a
delivery or an event, sent again by the workers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import JsonOption, console, emit, error_console
from smartap_erp.cli.runtime import runtime
from smartap_erp.errors import ConfigurationError

if TYPE_CHECKING:
    from smartap_erp.app import events
    from smartap_erp.app.context import AppContext
    from smartap_erp.app.events import DeliveryInfo, SubscriptionInfo
    from smartap_erp.events import types as event_types
    from smartap_erp.events.types import EventType
else:
    events = lazy("smartap_erp.app.events")
    event_types = lazy("smartap_erp.events.types")

app = typer.Typer(help="Outbound events to SmartAP: subscriptions, deliveries, replay.", no_args_is_help=True)
subscriptions = typer.Typer(
    help="Where events are sent: add, list, remove, enable, disable.", no_args_is_help=True
)
app.add_typer(subscriptions, name="subscriptions")

T = TypeVar("T")


def _run(work: Callable[[AppContext], Awaitable[T]]) -> T:
    async def go() -> T:
        async with runtime() as rt:
            return await work(rt)

    return asyncio.run(go())


def _when(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _subscription_row(s: SubscriptionInfo) -> dict[str, Any]:
    return {
        "id": str(s.id),
        "url": s.url,
        "event_types": "all" if s.event_types is None else ", ".join(t.value for t in s.event_types),
        "enabled": s.enabled,
        "disabled_reason": s.disabled_reason,
        "description": s.description,
        "created_at": _when(s.created_at),
    }


def _delivery_row(d: DeliveryInfo) -> dict[str, Any]:
    return {
        "id": str(d.id),
        "event": d.event_type,
        "event_id": str(d.event_id),
        "url": d.url,
        "status": d.status.value,
        "attempts": d.attempts,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "next_attempt_at": _when(d.next_attempt_at),
        "created_at": _when(d.created_at),
    }


def _types(values: list[str] | None) -> list[EventType] | None:
    if not values:
        return None
    try:
        return [event_types.event_type(v) for v in values]
    except ValueError as exc:
        raise ConfigurationError(f"--type: {exc}") from None


TypeOption = Annotated[
    list[str] | None,
    typer.Option("--type", help="An event type to send (repeat for several); none: every type."),
]


@subscriptions.command("add")
def add(
    url: Annotated[str, typer.Argument(help="Where to POST events (http:// or https://).")],
    types: TypeOption = None,
    description: Annotated[str | None, typer.Option(help="What the receiver is.")] = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Create it disabled.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Subscribe a URL and print its signing secret: this is the only time it is shown."""
    try:
        request = events.SubscriptionCreate(
            url=url, event_types=_types(types), description=description, enabled=not disabled
        )
    except ValueError as exc:
        raise ConfigurationError(f"cannot subscribe {url!r}: {_first_error(exc)}") from None
    created = _run(lambda rt: events.add_subscription(rt, request, by="cli"))
    if as_json:
        emit({**_subscription_row(created), "secret": created.secret}, as_json=True)
        return
    typer.echo(created.secret)  # alone on stdout: SECRET=$(smartap-erp events subscriptions add URL)
    error_console.print(
        f"[dim]subscription {created.id} to {created.url}: the secret above is shown once; the receiver "
        "verifies each delivery with it (Standard Webhooks)[/dim]",
        highlight=False,
    )


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
    return str(exc)


@subscriptions.command("list")
def list_subscriptions(as_json: JsonOption = False) -> None:
    """Every subscription (never its secret)."""
    rows = [_subscription_row(s) for s in _run(events.list_subscriptions)]
    emit(rows, as_json=as_json, title="Event subscriptions")


@subscriptions.command("remove")
def remove(subscription_id: Annotated[str, typer.Argument(help="The subscription's id.")]) -> None:
    """Delete a subscription and its delivery log (the events stay)."""
    removed = _run(lambda rt: events.remove_subscription(rt, subscription_id))
    console.print(f"removed subscription {removed.id} ({removed.url})", highlight=False)


def _toggle(subscription_id: str, enabled: bool) -> None:
    changed = _run(
        lambda rt: events.update_subscription(rt, subscription_id, events.SubscriptionUpdate(enabled=enabled))
    )
    console.print(f"subscription {changed.id} {'enabled' if enabled else 'disabled'}", highlight=False)


@subscriptions.command("enable")
def enable(subscription_id: Annotated[str, typer.Argument(help="The subscription's id.")]) -> None:
    """Enable a subscription: its waiting deliveries resume."""
    _toggle(subscription_id, True)


@subscriptions.command("disable")
def disable(subscription_id: Annotated[str, typer.Argument(help="The subscription's id.")]) -> None:
    """Disable a subscription: nothing is sent to it until it is enabled."""
    _toggle(subscription_id, False)


@app.command("list")
def list_events(
    type_: Annotated[str | None, typer.Option("--type", help="Only events of this type.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    as_json: JsonOption = False,
) -> None:
    """Events recorded, newest first."""
    wanted = _types([type_] if type_ else None)
    found = _run(lambda rt: events.list_events(rt, event_type=wanted[0] if wanted else None, limit=limit))
    rows = [
        {
            "id": str(e.id),
            "type": e.type,
            "connection_id": str(e.connection_id) if e.connection_id else None,
            "occurred_at": _when(e.occurred_at),
            "sent": e.dispatched_at is not None,
            "data": e.data,
        }
        for e in found
    ]
    emit(rows, as_json=as_json, title="Events")


@app.command()
def deliveries(
    failed: Annotated[
        bool, typer.Option("--failed", help="Given up, or waiting after a failed try.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    as_json: JsonOption = False,
) -> None:
    """The delivery log, newest first."""
    found = _run(lambda rt: events.list_deliveries(rt, failed=failed, limit=limit))
    emit([_delivery_row(d) for d in found], as_json=as_json, title="Event deliveries")


@app.command()
def delivery(
    delivery_id: Annotated[str, typer.Argument(help="The delivery's id.")], as_json: JsonOption = False
) -> None:
    """One delivery with every attempt (status code, duration, error)."""
    detail = _run(lambda rt: events.get_delivery(rt, delivery_id))
    row = _delivery_row(detail)
    row["attempt_log"] = [
        {
            "number": a.number,
            "started_at": _when(a.started_at),
            "duration_ms": a.duration_ms,
            "status_code": a.status_code,
            "error": a.error,
        }
        for a in detail.attempt_log
    ]
    emit(row, as_json=as_json, title=f"Delivery {detail.id}")


@app.command()
def replay(
    delivery_or_event_id: Annotated[str, typer.Argument(help="A delivery's id or an event's id.")],
    as_json: JsonOption = False,
) -> None:
    """Send a delivery's event again to its subscription, or an event to every subscription wanting it."""
    queued = _run(lambda rt: events.replay(rt, delivery_or_event_id))
    if as_json:
        emit([_delivery_row(d) for d in queued.deliveries], as_json=True)
        return
    for d in queued.deliveries:
        console.print(f"queued delivery {d.id}: {d.event_type} to {d.url}", highlight=False)
