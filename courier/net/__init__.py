"""Network adapters: hotspot, firewall, uplink detection, mDNS, SRV resolution."""
