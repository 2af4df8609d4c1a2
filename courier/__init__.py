"""Firmware of a courier appliance for Awala (Relaynet) sneakernets."""

__version__ = "0.1.0"
