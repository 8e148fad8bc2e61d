"""Helpers shared by every layer: one place for each concern."""
