"""`python -m bot` is `opsbot` (used by `opsbot up` to start its child processes)."""

from bot.cli.main import main

main()
