"""Redaction of text, URLs, headers and log records."""

from __future__ import annotations

import logging

import pytest

from smartap_erp.http import (
    get_logger,
    install_handler_redaction,
    redact,
    redact_headers,
    redact_text,
    redact_url,
    register_secret,
)


@pytest.fixture(autouse=True)
def fresh_known_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The values registered as secrets are process-wide: another test in the same worker may have
    registered a word these cases use as a name (a credential whose value is "secret" makes
    `client_secret` read `client_***`). Each case here starts from none."""
    monkeypatch.setattr(redact, "_known", redact._KnownSecrets())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer eyJhbGciOi.abc-def_ghi", "Authorization: Bearer ***"),
        ("Authorization: Basic Y2xpZW50OnNlY3JldA==", "Authorization: Basic ***"),
        (
            'Authorization: OAuth realm="1234567", oauth_consumer_key="ck", oauth_signature="a%2Bb%3D"',
            "Authorization: OAuth ***",
        ),
        ('{"access_token": "tok en", "expires_in": 1800}', '{"access_token": "***", "expires_in": 1800}'),
        (
            "grant_type=refresh_token&refresh_token=abc123&x=1",
            "grant_type=refresh_token&refresh_token=***&x=1",
        ),
        ("Cookie: B1SESSION=5b1c-77; ROUTEID=.node1", "Cookie: ***; ROUTEID=.node1"),
        ("(b'Set-Cookie', b'B1SESSION=5b1c-77; HttpOnly')", "(b'Set-Cookie', b'B1SESSION=***; HttpOnly')"),
        ("{'Password': 'hunter 2', 'UserName': 'manager'}", "{'Password': '***', 'UserName': 'manager'}"),
        ('"client_secret":"xyz"', '"client_secret":"***"'),
        ("nothing to hide here, page=2", "nothing to hide here, page=2"),
        (
            '{"message": "Invalid login attempt. OAuth realm=\\"1\\", oauth_signature=\\"Al%2BK%3D\\""}',
            '{"message": "Invalid login attempt. OAuth ***"}',
        ),
        ('{"m": "x oauth_signature=\\"Al%2BK%3D\\" y"}', '{"m": "x oauth_signature=\\"***\\" y"}'),
        ('{"password": "a\\"b c", "user": "u"}', '{"password": "***", "user": "u"}'),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_registered_secrets_are_masked_anywhere() -> None:
    register_secret("Sentinel-Registered-Value-31337", None, "")
    assert redact_text("saw Sentinel-Registered-Value-31337 in a body") == "saw *** in a body"
    assert redact_text("short") == "short"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://api.test/x?access_token=abc&page=2&client_secret=s&code=c",
            "https://api.test/x?access_token=***&page=2&client_secret=***&code=***",
        ),
        ("https://user:pass@api.test/p", "https://***@api.test/p"),
        ("Orders?$skip=20&$top=5", "Orders?$skip=20&$top=5"),
        (
            "https://api.test/x?query=select%20*%20from%20Vendor",
            "https://api.test/x?query=select%20*%20from%20Vendor",
        ),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_headers() -> None:
    headers = {
        "Authorization": "Bearer x",
        "Cookie": "B1SESSION=1",
        "Set-Cookie": "B1SESSION=1",
        "X-Api-Key": "k",
        "xero-tenant-id": "tenant-1",
        "Accept": "application/json",
    }
    assert redact_headers(headers) == {
        "Authorization": "***",
        "Cookie": "***",
        "Set-Cookie": "***",
        "X-Api-Key": "***",
        "xero-tenant-id": "tenant-1",
        "Accept": "application/json",
    }


def test_logger_filter_scrubs_messages_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    register_secret("Sentinel-Log-Token-8080")
    log = get_logger("smartap_erp.tests.redaction")
    caplog.set_level(logging.DEBUG, logger="smartap_erp.tests.redaction")
    log.info("token %s refreshed", "Sentinel-Log-Token-8080")
    log.debug("body %r", {"refresh_token": "Sentinel-Unregistered-1"})
    try:
        raise RuntimeError("failed with password=Sentinel-Password-2")
    except RuntimeError:
        log.exception("boom")
    assert "Sentinel-Log-Token-8080" not in caplog.text
    assert "Sentinel-Unregistered-1" not in caplog.text
    assert "Sentinel-Password-2" not in caplog.text
    assert "token *** refreshed" in caplog.text
    assert "RuntimeError: failed with password=***" in caplog.text


def test_get_logger_installs_the_filter_once() -> None:
    log = get_logger("smartap_erp.tests.once")
    get_logger("smartap_erp.tests.once")
    assert len(log.filters) == 1


def test_handler_redaction_covers_loggers_that_do_not_use_get_logger() -> None:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    parent = logging.getLogger("smartap_erp.tests.handlers")
    parent.propagate = False
    handler = Collect()
    parent.addHandler(handler)
    try:
        install_handler_redaction(parent)
        install_handler_redaction(parent)
        logging.getLogger("smartap_erp.tests.handlers.child").warning("Authorization: Bearer abcdef123456")
    finally:
        parent.removeHandler(handler)
    assert records == ["Authorization: Bearer ***"]
    assert len(handler.filters) == 1


def test_redaction_of_huge_text_stays_fast() -> None:
    import time

    register_secret("Sentinel-Huge-Text-Secret-1")
    text = "x" * 200_000 + " token=abc Sentinel-Huge-Text-Secret-1"
    started = time.process_time()  # CPU time: a loaded machine cannot stretch it
    out = redact_text(text)
    assert time.process_time() - started < 1.0
    assert out.endswith(" token=*** ***")
