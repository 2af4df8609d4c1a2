"""Makers of test and benchmark material (keys, certificates, RAMF messages); not in the wheel."""
