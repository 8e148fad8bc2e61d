"""The apps layer: one namespace per application."""

from platform_constructs.apps.stack import AppsStack

__all__ = ["AppsStack"]
