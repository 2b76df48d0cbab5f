"""The calendar tests run on the API tests' ledger, app and parties."""

from tests.api.conftest import admin, app, base, client, ledger, ledger_start, parties, settings  # noqa: F401 -- fixtures
