"""The typed settings: defaults, files, environment, and errors that name where the bad value is."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from crawler.config import (
    DEFAULT_CONFIG_FILE,
    PROJECT_ROOT,
    ConfigError,
    Settings,
    load_settings,
    settings_reference,
)


def test_defaults_come_from_the_shipped_config() -> None:
    settings = load_settings(environ={})
    assert settings.database == f"sqlite:///{PROJECT_ROOT / 'data' / 'seedwatch.db'}"
    assert {"deepseek", "stargate"} <= set(settings.topics)
    aliases = settings.topics["deepseek"].aliases + settings.topics["deepseek"].related
    assert {"深度求索", "梁文锋", "幻方"} <= set(aliases)
    assert "星际之门" in settings.topics["stargate"].aliases
    assert settings.crawl.obey_robots


def test_the_shipped_config_states_the_typed_defaults() -> None:
    # Defaults live in crawler/config.py; config/seedwatch.toml shows them (and the topics, which have
    # none), so the two must never drift apart.
    shipped = tomllib.loads(DEFAULT_CONFIG_FILE.read_text(encoding="utf-8"))
    defaults = Settings().model_dump(mode="json")
    for key, value in shipped.items():
        if key == "topics":
            continue
        if isinstance(value, dict):
            for inner, setting in value.items():
                assert defaults[key][inner] == setting, f"{key}.{inner}"
        else:
            assert defaults[key] == value, key


def test_precedence_file_then_environment_then_overrides(tmp_path: Path) -> None:
    config = tmp_path / "mine.toml"
    config.write_text(
        'log_level = "DEBUG"\n[crawl]\ndownload_timeout = 5\nretry_times = 4\n', encoding="utf-8"
    )
    settings = load_settings(
        config,
        environ={
            "SEEDWATCH_CRAWL__RETRY_TIMES": "1",
            "SEEDWATCH_BOT__ADMIN_IDS": "[1, 2]",
            "TELEGRAM_BOT_TOKEN": "123:abc",
        },
        overrides={"database_url": "sqlite:///x.db"},
    )
    assert settings.log_level == "DEBUG"
    assert settings.crawl.download_timeout == 5
    assert settings.crawl.retry_times == 1
    assert settings.bot.admin_ids == [1, 2]
    assert settings.database == "sqlite:///x.db"
    assert settings.telegram_token is not None and settings.telegram_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(settings)


def test_a_bad_value_in_a_file_names_the_file_key_and_expectation(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(
        '[crawl]\ndownload_timeout = "soon"\n[bot]\ndefault_timezone = "Mars/Base"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    message = str(caught.value)
    assert f"{config}: crawl.download_timeout: Input should be a valid number" in message
    assert f"{config}: bot.default_timezone" in message and "IANA time zone" in message


def test_bad_environment_value_and_unknown_key_are_named() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"SEEDWATCH_BOT__DEFAULT_TIME": "25:00", "SEEDWATCH_CRAWL__SPEED": "fast"})
    message = str(caught.value)
    assert (
        "environment variable SEEDWATCH_BOT__DEFAULT_TIME: bot.default_time" in message and "HH:MM" in message
    )
    assert "SEEDWATCH_CRAWL__SPEED: crawl.speed: unknown key" in message


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[crawl\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken, environ={})


def test_reference_lists_every_key_with_help() -> None:
    rows = {key: help_text for key, _default, help_text in settings_reference()}
    assert "crawl.download_timeout" in rows and "bot.default_lang" in rows
    assert all(rows.values()), [k for k, v in rows.items() if not v]


def test_the_shipped_reference_is_current() -> None:
    from bot.cli.config import reference_markdown

    shipped = (PROJECT_ROOT / "config" / "REFERENCE.md").read_text(encoding="utf-8")
    assert shipped == reference_markdown(), "run: seedwatch config --markdown > config/REFERENCE.md"
