"""Composition root: the daemon, its wiring, systemd notification."""
