"""Tools for policy authors: lint, intervals, rule diffs, the catalogue, rules test."""
