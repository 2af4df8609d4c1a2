"""Tests of the A/B update machinery."""
