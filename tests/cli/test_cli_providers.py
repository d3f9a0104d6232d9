"""The command line reads the ERP providers: `about` lists every registered ERP with its auth kind and
capabilities, a fifth ERP added only through `ERP_PROVIDERS` can be added as a connection and
tested, and `connections add` without a credentials file asks for each field at a terminal (secret
ones hidden) or says in one line which option is missing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from erpsim.core import Clock, SimConfig
from erpsim.core.testing import LiveServer, live_server
from smartap_erp.cli.connection_input import credentials_for, prompt_credentials
from smartap_erp.connectors import ERPProvider, registry
from smartap_erp.errors import ConfigurationError
from tests.cli.helpers import database_url, run_cli
from tests.conftest import MigratedSqlite
from tests.fifth_erp.fixtures import fifth_erp
from tests.fifth_erp.simulator import create_app

REPO = Path(__file__).resolve().parents[2]
__all__ = ["fifth_erp"]  # the fixture
FIFTH_ERP = {"ERP_PROVIDERS": "tests.fifth_erp.provider:PROVIDER", "PYTHONPATH": str(REPO)}


@pytest.fixture
def workdir(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> Path:
    migrated_sqlite(database_url(tmp_path))
    return tmp_path


@pytest.fixture
def ledgerly() -> Iterator[LiveServer]:
    with live_server(create_app(SimConfig(clock=Clock.real(), vendors=4, purchase_orders=1))) as server:
        yield server


def test_about_lists_a_fifth_erp_added_through_the_setting(workdir: Path) -> None:
    result = run_cli(workdir, "about", "--json", **FIFTH_ERP)
    assert result.returncode == 0, result.stderr
    erps = {erp["system"]: erp for erp in json.loads(result.stdout)["erps"]}
    assert list(erps) == ["quickbooks", "xero", "sap", "netsuite", "ledgerly"]
    assert erps["ledgerly"]["name"] == "Ledgerly" and erps["ledgerly"]["connector"] == "available"
    assert erps["ledgerly"]["auth"] == "OAuth 2.0" and erps["sap"]["auth"] == "session login"
    assert erps["netsuite"]["auth"] == "token-based (OAuth 1.0a TBA)"
    assert erps["quickbooks"]["capabilities"]["batch_export"] is True
    assert erps["sap"]["capabilities"]["webhooks"] is False


def test_a_bad_erp_providers_setting_is_one_line_and_exit_2(workdir: Path) -> None:
    result = run_cli(workdir, "about", ERP_PROVIDERS="no_such_package.provider:PROVIDER")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "no_such_package.provider:PROVIDER" in lines[0]


def test_a_fifth_erp_connection_is_added_and_tested_through_the_cli(
    workdir: Path, ledgerly: LiveServer
) -> None:
    (workdir / "ledgerly.json").write_text(json.dumps(ledgerly.sim.credentials()))
    args = ["--system", "ledgerly", "--name", "Ledger", "--credentials-file", "ledgerly.json"]
    added = run_cli(
        workdir, "connections", "add", *args, "--api-url", ledgerly.base_url, "--json", **FIFTH_ERP
    )
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["system"] == "ledgerly"
    tested = run_cli(workdir, "connections", "test", "Ledger", "--json", **FIFTH_ERP)
    assert tested.returncode == 0, tested.stderr
    assert json.loads(tested.stdout)["company_name"] == "Ledgerly Test Co"
    # Without the setting the ERP is unknown: `--system ledgerly` is not a choice.
    unknown = run_cli(workdir, "connections", "add", *args, PYTHONPATH=str(REPO))
    assert unknown.returncode == 2


def test_bad_fields_of_a_credentials_file_are_named(workdir: Path) -> None:
    creds = {"client_id": "c", "client_secret": "s", "company_id": "nope", "access_token": "a"}
    (workdir / "bad.json").write_text(json.dumps(creds))
    args = ["--system", "ledgerly", "--name", "L", "--credentials-file", "bad.json"]
    result = run_cli(workdir, "connections", "add", *args, **FIFTH_ERP)
    assert result.returncode == 2
    assert "ledgerly needs refresh_token; company_id (Company ID): e.g. co-1 (got 'nope')" in result.stderr


def test_without_a_credentials_file_each_field_is_asked_for_secrets_hidden(fifth_erp: ERPProvider) -> None:
    answers = {
        "Client ID": "client-1",
        "Client secret": "Sentinel-Secret",
        "Company ID": "co-7",
        "Access token": "Sentinel-Access",
        "Refresh token": "Sentinel-Refresh",
    }
    asked: list[tuple[str, bool, bool]] = []

    def ask(text: str, secret: bool, required: bool) -> str:
        asked.append((text, secret, required))
        return answers[text.split(" [")[0]]

    credentials = credentials_for("ledgerly", None, interactive=True, ask=ask)
    assert credentials == {
        "client_id": "client-1",
        "client_secret": "Sentinel-Secret",
        "company_id": "co-7",
        "access_token": "Sentinel-Access",
        "refresh_token": "Sentinel-Refresh",
    }
    assert [(text.split(" [")[0], secret) for text, secret, _ in asked] == [
        ("Client ID", False),
        ("Client secret", True),
        ("Company ID", False),
        ("Access token", True),
        ("Refresh token", True),
    ]
    assert asked[2][0] == "Company ID [company_id] - e.g. co-1"


def test_a_bad_answer_is_asked_again_and_a_setting_makes_a_field_optional(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QUICKBOOKS_CLIENT_ID", "from-settings")
    replies = iter(["", "s3cret", "12x", "4620816365", "a", "r", "", ""])
    asked: list[tuple[str, bool]] = []

    def ask(text: str, secret: bool, required: bool) -> str:
        asked.append((text.split(" [")[0], required))
        return next(replies)

    credentials = prompt_credentials(registry.provider("quickbooks"), ask)
    assert credentials == {
        "client_secret": "s3cret",
        "realm_id": "4620816365",
        "access_token": "a",
        "refresh_token": "r",
    }
    assert asked[0] == ("Client ID", False)  # QUICKBOOKS_CLIENT_ID fills it
    assert asked[2:4] == [("Company ID (realm)", True), ("Company ID (realm)", True)]
    assert "realm_id: the company's realm id: digits only (got '12x')" in capsys.readouterr().err


def test_without_a_terminal_the_missing_option_is_named_in_one_line() -> None:
    with pytest.raises(ConfigurationError) as caught:
        credentials_for("sap", None, interactive=False)
    message = str(caught.value)
    assert message.startswith("--credentials-file: required when stdin is not a terminal")
    assert "company_db, username, password" in message and "\n" not in message
