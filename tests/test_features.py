"""Binds every Chinese Gherkin feature in features/ to the shared steps in conftest.py."""
from pytest_bdd import scenarios

scenarios(".")
