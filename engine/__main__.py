"""`python -m engine ...`: the engine's `ipcheck` commands (all but `serve`, which is the service's)."""
from engine.cli.main import main

main()
