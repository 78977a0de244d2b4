"""Boundary profiles now live in the engine (the reload canary uses them): engine.authoring.boundaries.
Kept here so tests written against the old place keep working."""

from engine.authoring.boundaries import Boundaries, boundaries, reachable  # noqa: F401
