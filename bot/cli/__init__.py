"""The `seedwatch` command: a thin layer over library functions.

Each command family has a module of its own named after it (`seedwatch seeds ...` is `bot.cli.seeds`);
all are registered here, in one list.
"""

from __future__ import annotations

from typing import Any

import click

from bot.cli import bot, claims, config, crawl, demo, digest, rejudge, run, seeds, sources, status
from bot.cli.common import INTERRUPTED_EXIT


class SeedwatchGroup(click.Group):
    """The command group; Ctrl-C outside a crawl ends a command with one line and status 130."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            raise click.exceptions.Exit(INTERRUPTED_EXIT) from None


@click.group(
    cls=SeedwatchGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
)
@click.version_option(package_name="seedwatch")
def main() -> None:
    """seedwatch: follow the coverage of a seed article and get a daily digest of what is new.

    \b
    Start with the offline demo:   seedwatch demo
    Crawl a feed:                  seedwatch crawl --source https://example.com/feed.xml
    """


main.add_command(bot.bot_command)
main.add_command(claims.claims_tracker)
main.add_command(config.config_reference)
main.add_command(crawl.crawl)
main.add_command(crawl.export)
main.add_command(demo.demo)
main.add_command(digest.digest_command)
main.add_command(rejudge.rejudge_command)
main.add_command(run.run_daemon)
main.add_command(seeds.seeds)
main.add_command(sources.sources)
main.add_command(status.status)
