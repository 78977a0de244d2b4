"""ipcheck engine: enterprise profiles, rule packs and the explainable evaluator."""
