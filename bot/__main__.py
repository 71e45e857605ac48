"""`python -m bot` is the `seedwatch` command."""

from bot.cli import main

if __name__ == "__main__":  # extraction worker processes import this module again: do nothing then
    main(prog_name="seedwatch")
