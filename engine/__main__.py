"""`python -m engine ...` is the `ipcheck` command."""
from .cli import main

main()
