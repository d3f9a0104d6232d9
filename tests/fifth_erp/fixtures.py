"""`fifth_erp`: the fifth ERP registered in the process-wide registry for one test, then removed, so
no other test (the demo's, say) sees an ERP it did not ask for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smartap_erp.connectors import ERPProvider, registry
from tests.fifth_erp.provider import PROVIDER


@pytest.fixture
def fifth_erp() -> Iterator[ERPProvider]:
    already = registry.find(PROVIDER.system) is PROVIDER
    registry.register_provider(PROVIDER)
    try:
        yield PROVIDER
    finally:
        if not already:
            registry.unregister_provider(PROVIDER.system)
