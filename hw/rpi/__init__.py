"""Raspberry Pi board support (RPi.GPIO API, luma.oled)."""
