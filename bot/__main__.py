"""`python -m bot` is the `seedwatch` command."""

from bot.cli import main

main(prog_name="seedwatch")
