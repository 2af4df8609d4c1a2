"""An extra CA adds to the system roots: a test gateway and a publicly trusted one both work."""

from pathlib import Path

import pytest

from courier.cogrpc.client import trust_bundle
from tests.cogrpc.conftest import World
from tests.internet.conftest import StartDouble, make_tls, status, stock, sync

ADDRESS = "gateway.example"


def test_the_bundle_is_the_system_roots_plus_the_extra_ca(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    system = tmp_path / "roots.pem"
    system.write_bytes(b"-----SYSTEM ROOTS-----\n")
    monkeypatch.setenv("SSL_CERT_FILE", str(system))
    assert trust_bundle(None) == b"-----SYSTEM ROOTS-----\n"
    bundle = trust_bundle(b"-----TEST CA-----\n")
    assert bundle is not None
    assert bundle.startswith(b"-----SYSTEM ROOTS-----\n")
    assert bundle.endswith(b"-----TEST CA-----\n")


@pytest.mark.interop
def test_a_test_ca_gateway_and_a_system_trusted_one_both_sync(
    tmp_path: Path, world: World, start_double: StartDouble,
) -> None:
    # A "public" CA that only the system store trusts (a roots bundle made here), and a test CA
    # given with --ca-file, as an offline deployment next to the real gateway would have.
    public_ca, public_key, public_cert = make_tls(tmp_path, ca_name="Public root CA")
    roots = tmp_path / "system-roots.pem"
    roots.write_bytes(public_ca.read_bytes())
    system_env = {"SSL_CERT_FILE": str(roots)}
    public = start_double("normal", tls=(public_ca, public_key, public_cert))
    private = start_double("normal")
    for index, double in enumerate((public, private)):
        data = tmp_path / f"data-{index}"
        stock(data, world, [index])
        result = sync(data, "--gateway", f"{ADDRESS}=127.0.0.1:{double.port}",
                      "--ca-file", str(private.ca), env=system_env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert status(data)["cargo_to_internet"] == 0
    # Without the system store's root, the public gateway is not trusted: the roots mattered.
    data = tmp_path / "data-untrusted"
    stock(data, world, [2])
    result = sync(data, "--gateway", f"{ADDRESS}=127.0.0.1:{public.port}",
                  "--ca-file", str(private.ca))
    assert result.returncode == 1 and "FAILED" in result.stdout
    assert status(data)["cargo_to_internet"] == 3
