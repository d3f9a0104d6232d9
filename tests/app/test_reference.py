"""Accounts and tax codes of a connection, read from each available simulator through its connector
(issue 13 item 2), on SQLite and PostgreSQL: sorted, typed (tax rates as Decimal, served as strings in
JSON), and a refused authorisation puts the connection in error like any call that reaches the ERP."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.app import connections, reference
from smartap_erp.domain.enums import ConnectionStatus, ERPSystem
from smartap_erp.errors import ERPAuthError
from tests.app.simulated import SimulatedApp, simulated_app
from tests.sync.harness import ErpHarness, available_systems


@pytest.fixture
def ctx(engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]) -> SimulatedApp:
    return simulated_app(engine, session_factory)


async def _start(ctx: SimulatedApp, system: ERPSystem) -> ErpHarness:
    assert ctx.sync is not None
    return await ErpHarness.start(system, ctx.sync, name="Books", vendors=1, purchase_orders=0, bills=0)


@pytest.mark.parametrize("system", available_systems())
async def test_accounts_and_tax_codes_of_each_erp(ctx: SimulatedApp, system: ERPSystem) -> None:
    harness = await _start(ctx, system)

    accounts = await reference.accounts(ctx, "Books")
    taxes = await reference.tax_codes(ctx, str(harness.connection.id))

    assert (accounts.connection, accounts.system, accounts.connection_id) == (
        "Books",
        system,
        harness.connection.id,
    )
    assert accounts.accounts and taxes.tax_codes
    keys = [((a.code or "").casefold(), a.name.casefold()) for a in accounts.accounts]
    assert keys == sorted(keys)
    assert [t.code.casefold() for t in taxes.tax_codes] == sorted(t.code.casefold() for t in taxes.tax_codes)
    rated = [t for t in taxes.tax_codes if t.rate is not None]
    assert all(isinstance(t.rate, Decimal) for t in rated)
    served = json.loads(taxes.model_dump_json())
    assert all(isinstance(t["rate"], str) for t in served["tax_codes"] if t["rate"] is not None)


async def test_a_refused_authorisation_marks_the_connection(ctx: SimulatedApp) -> None:
    harness = await _start(ctx, ERPSystem.QUICKBOOKS)
    revoked = {**harness.sim.credentials(), "access_token": "expired-token", "refresh_token": "revoked-token"}
    await connections.update_connection(
        ctx, "Books", connections.ConnectionUpdate.model_validate({"credentials": revoked})
    )

    with pytest.raises(ERPAuthError):
        await reference.accounts(ctx, "Books")

    after = await connections.find_connection(ctx, "Books")
    assert after.status == ConnectionStatus.ERROR and after.error is not None
    assert after.error.startswith("reconnect QuickBooks")
