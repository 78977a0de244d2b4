"""Binds every Chinese Gherkin feature in features/ to the shipped steps (engine/authoring/steps.py,
imported by conftest.py)."""

from pytest_bdd import scenarios

scenarios(".")
