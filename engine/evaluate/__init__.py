"""Evaluating one profile: the explaining evaluator, explanations, reports, charts, what-if."""
