"""The full round trip: official private gateway -> courier -> Internet gateway double -> back."""

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cogrpc.conftest import World, node, start_courier
from tests.internet.conftest import Double, sync

pytestmark = pytest.mark.interop


def test_cargo_goes_out_and_replies_come_back_to_the_private_gateway(
    tmp_path: Path, world: World, start_double: Callable[[str], Double],
) -> None:
    folder = Path(str(world["dir"]))
    gateway = world["gateways"][0]
    courier = start_courier(tmp_path / "data", tmp_path / "courier.log")
    try:
        # In the community: the private gateway collects (nothing yet, its CCA is kept) and
        # delivers its cargo.
        cca = str(folder / gateway["cca"])
        assert node("collect", courier.host, cca, gateway["id"]) == {"cargo": [], "errors": []}
        outbound = [str(folder / name) for name in gateway["outbound"][:4]]
        assert sorted(node("deliver", courier.host, *outbound)["acked"]) == sorted(outbound)

        # On the Internet, while the daemon keeps running on the same data directory.
        double = start_double("normal")
        result = sync(courier.data_dir, "--gateway", f"gateway.example=127.0.0.1:{double.port}",
                      "--ca-file", str(double.ca))
        assert result.returncode == 0, result.stdout + result.stderr
        received = sorted(e["sha256"] for e in double.events() if e["call"] == "deliver")
        assert received == sorted(hashlib.sha256(Path(f).read_bytes()).hexdigest()
                                  for f in outbound)

        # Back in the community: the private gateway collects the replies and validates them.
        answer = node("collect", courier.host, cca, gateway["id"])
        assert answer["errors"] == []
        # The replies the double signed with the delivery authorization found in the CCA.
        expected = sorted(sha for e in double.events() if e["call"] == "collect"
                          for sha in e["replies"])
        assert len(expected) == len(gateway["inbound"])
        assert sorted(c["sha256"] for c in answer["cargo"]) == expected
    finally:
        assert courier.stop() == 0
