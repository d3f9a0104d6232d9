"""A provider for the fake ERP (`sage`), standing in for a built-in one in the lazy-import tests."""

from smartap_erp.connectors.provider import AuthKind, CredentialField, ERPProvider

PROVIDER = ERPProvider(
    system="sage",
    name="Fake Sage",
    auth=AuthKind.OAUTH2,
    connector="tests.unit.connectors.fake_erp:FakeERPConnector",
    credential_fields=(
        CredentialField("client_id", "Client ID"),
        CredentialField("client_secret", "Client secret", secret=True),
        CredentialField("company_id", "Company", pattern=r"c-[0-9]+"),
    ),
)
