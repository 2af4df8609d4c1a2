"""Encrypted, power-loss-safe store of cargo and CCAs."""
