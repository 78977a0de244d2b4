"""Binds every Chinese Gherkin feature to the shipped steps: the test module `ipcheck rules test` runs.

The features are the shipped ones (`features/`, package data), or the folder in
IPCHECK_FEATURES_DIR (`ipcheck rules test --features DIR` sets it); the rules are the folder in
IPCHECK_RULES_DIR (see the `pack` fixture in engine/authoring/steps.py).
"""

import os
from pathlib import Path

import pytest
from pytest_bdd import scenarios

pytest.register_assert_rewrite("engine.authoring.steps")  # the steps' asserts say what differed

from engine.authoring.steps import *  # noqa: E402, F403

DEFAULT_FEATURES = (Path(__file__).resolve().parents[1] / "features").resolve()

scenarios(str(Path(os.environ.get("IPCHECK_FEATURES_DIR") or DEFAULT_FEATURES).resolve()))
