"""The `seedwatch` command: a thin layer over library functions.

Each area keeps its commands in a module of its own and registers them here.
"""

from __future__ import annotations

import click

from crawler.config import settings_reference


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="seedwatch")
def main() -> None:
    """seedwatch: follow the coverage of a seed article and get a daily digest of what is new.

    \b
    Start with the offline demo:   seedwatch demo
    Crawl a feed:                  seedwatch crawl --source https://example.com/feed.xml
    """


@main.command("config")
def config_reference() -> None:
    """Print every setting with its default and meaning (the config reference).

    Example: seedwatch config | grep crawl.
    """
    for key, default, help_text in settings_reference():
        click.echo(f"{key:42} {default:28} {help_text}")


def _register() -> None:
    import importlib

    for module in ("crawl", "judge", "rejudge", "digest", "run", "demo"):
        try:
            importlib.import_module(f"bot.cli.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bot.cli.{module}":
                raise


_register()
