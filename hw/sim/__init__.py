"""Simulated board: scripted button, LED history, display that keeps PNG frames."""
