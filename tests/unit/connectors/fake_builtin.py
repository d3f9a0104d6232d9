"""Stands in for a built-in connector package (`smartap_erp.connectors.<erp>`) in the lazy-import test."""

from smartap_erp.connectors import register_connector
from tests.unit.connectors.fake_erp import FakeERPConnector

register_connector(FakeERPConnector)
