"""The official-client world fixture, shared with the CogRPC tests."""

from tests.cogrpc.conftest import world  # noqa: F401 - a fixture, used by name
