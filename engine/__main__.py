"""`python -m engine ...` is the `ipcheck` command."""
from engine.cli.main import main

main()
