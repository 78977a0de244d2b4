"""`python -m api ...` is the whole `ipcheck` command, `serve` included."""
from api.cli import main

main()
