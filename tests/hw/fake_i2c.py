"""A stand-in for an smbus2 bus: records what luma's i2c interface writes to the OLED."""

import errno


class FakeBus:
    """Records (control byte, bytes) blocks written to one address, like an OLED on I2C."""

    def __init__(self, fail_errno: int | None = None) -> None:
        self.blocks: list[tuple[int, int, list[int]]] = []
        self.fail_errno = fail_errno
        self.closed = False

    def write_i2c_block_data(self, address: int, control: int, data: list[int]) -> None:
        if self.fail_errno is not None:
            raise OSError(self.fail_errno, "Remote I/O error")
        assert len(data) <= 32, "SMBus block limit"
        self.blocks.append((address, control, list(data)))

    def close(self) -> None:
        self.closed = True

    def commands(self) -> list[int]:
        return [b for _, control, data in self.blocks if control == 0x00 for b in data]

    def data(self) -> bytes:
        return bytes(b for _, control, data in self.blocks if control == 0x40 for b in data)

    def clear(self) -> None:
        self.blocks.clear()


NO_DEVICE = errno.EREMOTEIO
