"""Batch screening: table reading, the vectorised evaluator, rationale, workbooks, generation."""
