"""Shared fixtures: the Chinese Gherkin steps and their fixtures (`pack`, `firm`, `outcome`) ship with
the product in engine/authoring/steps.py; the policy author's own steps are in steps_authoring.py."""
from engine.authoring.steps import *  # noqa: F401,F403
from steps_authoring import *  # noqa: F401,F403
