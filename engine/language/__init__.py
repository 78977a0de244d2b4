"""The rule language: expressions, the rule-file schema, the loader and the function table."""
