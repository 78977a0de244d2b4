"""Shared fixtures: the Chinese Gherkin steps and their fixtures (`pack`, `firm`, `outcome`) ship with
the product in engine/authoring/steps.py; the policy author's own steps are in steps_authoring.py."""

from steps_authoring import *  # noqa: F403

from engine.authoring.steps import *  # noqa: F403
