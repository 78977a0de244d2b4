"""The `ipcheck` command line."""
