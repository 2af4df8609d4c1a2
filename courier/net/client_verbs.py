"""The helper's Wi-Fi uplink verbs: "uplink-scan", "uplink-join <name in hex>", and the rest."""

from typing import Protocol

from courier.errors import NetworkError

UPLINK_VERBS = frozenset({"uplink-scan", "uplink-join", "uplink-address", "uplink-status",
                          "uplink-leave"})


class Client(Protocol):
    """What the verbs drive (courier.net.client_mode.ClientMode)."""

    async def scan(self) -> dict[str, int]:
        """Return the networks in range."""

    async def join(self, name: str) -> bool | None:
        """Join a known network."""

    async def address(self) -> bool:
        """Ask DHCP for an address."""

    async def leave(self) -> None:
        """Leave and stop the client."""

    def status(self) -> dict[str, object]:
        """Return whether the client runs."""


async def uplink_verb(client: Client | None, hotspot_open: bool, verb: str,
                      argument: str) -> dict[str, object]:
    """Carry out one uplink verb; the client never starts while the hotspot is open."""
    if client is None:
        raise NetworkError("no Wi-Fi uplink networks are set")
    if verb == "uplink-leave":
        await client.leave()
        return client.status()
    if verb == "uplink-status":
        return {**client.status(), "hotspot_open": hotspot_open}
    if hotspot_open:
        raise NetworkError("the hotspot is open: close it before using the radio as a client")
    if verb == "uplink-scan":
        return {"networks": await client.scan()}
    if verb == "uplink-join":
        try:
            name = bytes.fromhex(argument).decode()
        except ValueError as error:
            raise NetworkError("uplink-join needs a network name in hex") from error
        return {"joined": await client.join(name)}
    if verb == "uplink-address":
        return {"addressed": await client.address()}
    raise NetworkError("unknown verb")
