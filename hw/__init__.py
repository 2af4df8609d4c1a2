"""Board support: real Raspberry Pi drivers and simulated ones."""
