"""TLS verification per SAP_VERIFY_SSL: a refused self-signed certificate is a clear configuration error."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from smartap_erp.connectors.registry import build_connector
from smartap_erp.connectors.sap import SAPConnector
from smartap_erp.errors import ConfigurationError, ERPConfigurationError, ERPTransientError
from smartap_erp.http.ratelimit import LimiterRegistry

CREDS = {"company_db": "SBODEMOUS", "username": "manager", "password": "tls-test-password"}


def _self_signed(directory: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sap-server.local")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


@pytest.fixture
async def tls_url(tmp_path: Path) -> AsyncIterator[str]:
    """A TLS endpoint with a self-signed certificate that closes every connection after the handshake."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=_self_signed(tmp_path))
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"https://127.0.0.1:{port}"


def _connector(url: str) -> SAPConnector:
    async def no_wait(seconds: float) -> None:
        return None

    sap = build_connector(
        "sap", CREDS, base_url=url, sleep=no_wait, random=lambda: 0.0, limiters=LimiterRegistry()
    )
    assert isinstance(sap, SAPConnector)
    return sap


async def test_refused_certificate_is_a_configuration_error(
    tls_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAP_VERIFY_SSL", "true")
    sap = _connector(tls_url)
    with pytest.raises(ERPConfigurationError) as caught:
        await sap.test_connection()
    await sap.close()
    assert "certificate" in str(caught.value) and "SAP_VERIFY_SSL" in str(caught.value)
    assert "tls-test-password" not in str(caught.value)


async def test_verify_off_skips_the_certificate_check(tls_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAP_VERIFY_SSL", "false")
    sap = _connector(tls_url)
    with pytest.raises(ERPTransientError) as caught:  # handshake passes; the server then hangs up
        await sap.test_connection()
    await sap.close()
    assert not isinstance(caught.value, ERPConfigurationError)


def test_missing_service_layer_url_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAP_SERVICE_LAYER_URL", raising=False)
    with pytest.raises(ConfigurationError, match="SAP_SERVICE_LAYER_URL"):
        build_connector("sap", CREDS)
