"""Test support shipped with the tests, not the product: the durable-rules oracle, boundary profiles."""
