"""Every setting once: name, default, help. Feeds the CLI flags, VRMON_* variables and the docs."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import Any

from vrmon.errors import ConfigError
from vrmon.origins import normalise_origin

# Where static/, scenes/ and node_modules/ are: an installed wheel carries them in vrmon/_client/
# (setup.py puts them there); in the checkout they sit beside the vrmon package.
_INSTALLED_CLIENT = Path(__file__).resolve().parent / "_client"
PACKAGE_ROOT = _INSTALLED_CLIENT if _INSTALLED_CLIENT.is_dir() else Path(__file__).resolve().parent.parent

_DURATION = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h|d)?\s*")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def duration(text: str | float) -> float:
    """'250ms', '90s', '15m', '2h', '1d' or plain seconds → seconds (its name shows in flag errors)."""
    if isinstance(text, (int, float)):
        return float(text)
    match = _DURATION.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration like 90s, 15m or 2h")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]


MIN_SPEED, MAX_SPEED = 0.25, 1000.0  # replay speed factors --speed and viewers may choose

_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?)\s*(B|KB|MB|GB|TB)?\s*", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}


def size(text: str | int) -> int:
    """'500MB', '2GB', '1.5 GB' or plain bytes → bytes (its name shows in flag errors)."""
    if isinstance(text, int):
        return text
    match = _SIZE.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a size like 500MB or 2GB")
    return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()])


def port(text: str | int) -> int:
    """A TCP port: 1-65535, or 0 for any free one (its name shows in flag errors)."""
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError(f"{value} is not a port (0-65535)")
    return value


def listen_address(text: str) -> tuple[str, int] | None:
    """'[HOST:]PORT' → (host, port), loopback when no host is given; '' → None (off)."""
    text = text.strip()
    if not text:
        return None
    host, sep, number = text.rpartition(":")
    if not sep:
        host = "127.0.0.1"
    try:
        return host.strip("[]") or "127.0.0.1", port(number)
    except ValueError:
        raise ValueError(f"{text!r} is not [HOST:]PORT, e.g. 4318 or 0.0.0.0:4318") from None


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    type: Any = str  # a type or a converter such as `duration`
    repeat: bool = False  # the flag may be given several times; its VRMON_* variable is comma-separated
    choices: tuple[str, ...] = ()
    metavar: str | None = None  # what --help shows for the value, e.g. URL
    from_env: bool = True  # False for per-run switches (`tail --once`): they have no VRMON_* variable
    bare: Any = None  # the value of the flag given without one (`--otlp` alone), if it may be

    @property
    def env(self) -> str:
        return "VRMON_" + self.name.upper()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def default_value(self) -> Any:
        """The default, converted ("15m" → 900.0): what a config object holds when nothing is set."""
        return self._convert(self.default, "default") if isinstance(self.default, str) else self.default

    def resolve_default(self) -> Any:
        """The default (converted), unless its VRMON_* variable is set."""
        raw = os.environ.get(self.env) if self.from_env else None
        if raw is None:
            return self.default_value()
        if self.repeat:
            return tuple(self._convert(part.strip(), self.env) for part in raw.split(",") if part.strip())
        return self._convert(raw, self.env)

    def _convert(self, raw: str, origin: str) -> Any:
        if self.type is bool:
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ConfigError(f"{self.env}={raw!r}: use 1 or 0")
            return raw.lower() in ("1", "true", "yes", "on")
        try:
            value = self.type(raw)
        except ValueError:
            raise ConfigError(f"{origin}={raw!r} is not a valid {self.type.__name__}") from None
        if self.choices and value not in self.choices:
            raise ConfigError(f"{origin}={raw!r}: use one of {', '.join(self.choices)}")
        return value


SERVE_SETTINGS = (
    Setting("replay", (), "trace file to load: Jaeger JSON (API or UI download), OTLP JSON (or JSON Lines), an api_v3 "
            "response, Tempo or Zipkin JSON",
            Path, repeat=True, metavar="PATH"),
    Setting("host", "127.0.0.1", "address to bind; anything but loopback exposes your traces to the network"),
    Setting("port", 8080, "port to listen on (0: any free port, printed at start)", port, metavar="PORT"),
    Setting("scene", "waterfall", "scene to start in (a preset name from scenes/ or --scenes-dir)"),
    Setting("scenes_dir", "", "extra directory of scene presets (*.toml); they override built-ins of the same name",
            metavar="DIR"),
    Setting("tick", 0.1, "seconds between scene updates sent to viewers", float, metavar="SECONDS"),
    Setting("viewer_queue", 64, "frames queued per viewer before a slow viewer is resynced with a snapshot", int,
            metavar="N"),
    Setting("max_viewers", 256, "most viewers connected at once; more are refused with a close reason", int,
            metavar="N"),
    Setting("host_metrics", True, "stream this host's CPU, load and memory (the ring around your feet)", bool),
    Setting("retain", "30m", "with a live source: a trace that vrmon has received no new span of for this long "
            "leaves the scene (the spans' own times do not count; trace files loaded with --replay always stay)",
            duration, metavar="DURATION"),
    Setting("max_spans", 2_000_000, "with a live source: most spans kept from live sources (about 1.3 KB each with "
            "details; trace files do not count); the traces that received a span least recently leave first", int,
            metavar="N"),
)

JAEGER_SETTINGS = (
    Setting("jaeger", "", "Jaeger query service to watch live, e.g. http://localhost:16686 (the Jaeger UI's address)",
            metavar="URL"),
    Setting("service", (), "service to watch (default: all, including services that appear later)", str, repeat=True,
            metavar="NAME"),
    Setting("lookback", "15m", "how far back the first poll reaches", duration, metavar="DURATION"),
    Setting("poll", "2s", "time between polls", duration, metavar="DURATION"),
    Setting("limit", 200, "most traces per service per poll", int, metavar="N"),
    Setting("api", "auto", "Jaeger API to use: auto detects api_v3 (Jaeger v2) or v1 (older)", str,
            choices=("auto", "v3", "v1")),
    Setting("jaeger_header", (), "HTTP header sent to Jaeger, 'Name: value' (e.g. 'Authorization: Bearer TOKEN')",
            str, repeat=True, metavar="'NAME: VALUE'"),
    Setting("ca_cert", "", "PEM file of the CA that signed Jaeger's TLS certificate", metavar="FILE"),
    Setting("insecure_skip_verify", False, "do not verify Jaeger's TLS certificate (only for testing)", bool),
    Setting("late", "60s", "overlap between polls, for spans that become queryable after they started", duration,
            metavar="DURATION"),
    Setting("jaeger_timeout", "10s", "longest wait for one answer from Jaeger", duration, metavar="DURATION"),
    Setting("max_response", 256.0, "largest answer read from Jaeger, in MiB; larger ones are dropped", float, metavar="MIB"),
    Setting("retry_max", "30s", "longest wait between retries while Jaeger is failing", duration, metavar="DURATION"),
)

TEMPO_SETTINGS = (
    Setting("tempo", "", "Grafana Tempo to watch live, e.g. http://localhost:3200 (its HTTP API)", metavar="URL"),
    Setting("tempo_query", "{}", "TraceQL query choosing the traces to watch ({} is every trace)", metavar="TRACEQL"),
    Setting("tempo_header", (), "HTTP header sent to Tempo, 'Name: value' (e.g. 'X-Scope-OrgID: TENANT' or "
            "'Authorization: Bearer TOKEN')", str, repeat=True, metavar="'NAME: VALUE'"),
)

ZIPKIN_SETTINGS = (
    Setting("zipkin", "", "Zipkin to watch live, e.g. http://localhost:9411 (--service narrows it to those services)",
            metavar="URL"),
    Setting("zipkin_header", (), "HTTP header sent to Zipkin, 'Name: value' (e.g. 'Authorization: Bearer TOKEN')",
            str, repeat=True, metavar="'NAME: VALUE'"),
)

LIVE_SETTINGS = JAEGER_SETTINGS + TEMPO_SETTINGS + ZIPKIN_SETTINGS
_SHARED = ("--service, --lookback, --poll, --limit, --late, --ca-cert, --insecure-skip-verify, --jaeger-timeout, "
           "--max-response and --retry-max apply to every live source")


RECORD_SETTINGS = (
    Setting("record", "", "record everything the live sources send (spans, statuses, host load, dependencies) "
            "to this new .vrrec file; replay it with --replay FILE", metavar="FILE"),
    Setting("record_max_size", "0", "stop recording when the file reaches this size, e.g. 2GB (0: no limit)", size,
            metavar="SIZE"),
    Setting("record_max_age", "0", "stop recording after this long, e.g. 4h (0: no limit)", duration, metavar="DURATION"),
)

REPLAY_SETTINGS = (
    Setting("speed", 1.0, "replay speed of a recording: 0.25 (slow motion) to 1000", float, metavar="FACTOR"),
    Setting("start", "", "where a replayed recording starts: an offset such as 12m30s, or a wall-clock time "
            "such as 14:05:30 or 2026-11-30T14:05:30Z", metavar="WHEN"),
    Setting("loop", False, "start a replayed recording over when it ends", bool),
    Setting("replay_clock", "shared", "shared: every viewer sees one replay clock (one drives, everyone watches); "
            "per-viewer: each viewer plays, pauses and seeks on its own", choices=("shared", "per-viewer")),
    Setting("play", False, "start --replay trace files played in time: spans appear at their start times, slowed or "
            "sped up to a watchable pace (the page's In time switch, or P, changes it while serving)", bool),
)

OTLP_SETTINGS = (
    Setting("otlp", "", "receive traces that apps export with OTLP/HTTP (POST /v1/traces, protobuf or JSON) on "
            "[HOST:]PORT; --otlp alone listens on 127.0.0.1:4318, loopback unless a host is given",
            listen_address, metavar="[HOST:]PORT", bare=("127.0.0.1", 4318)),
    Setting("otlp_max_body", 20.0, "largest OTLP export accepted, in MiB, before and after gzip (larger ones get "
            "HTTP 413)", float, metavar="MIB"),
    Setting("otlp_cors", (), "a web origin whose pages may export to --otlp from the browser (OpenTelemetry JS), "
            "e.g. http://localhost:3000: vrmon answers its CORS preflights; no other site's page may", str,
            repeat=True, metavar="ORIGIN"),
    Setting("self_trace", False, "trace vrmon's own work (polls, file loads, parsing, store adds, layouts, encodes, "
            "fan-outs) and show it beside your traces as service vrmon", bool),
)

TOKEN = Setting("token", "", "secret that scripts and `vrmon tail` send as 'Authorization: Bearer TOKEN' when vrmon "
        "serves beyond loopback (prefer the variable: a flag shows in ps)", metavar="TOKEN")

SECURITY_SETTINGS = (
    Setting("allow_host", (), "another name this server may be reached by (a proxy's or a tunnel's); requests naming "
            "any other host are refused, against DNS rebinding", str, repeat=True, metavar="NAME"),
    Setting("allow_origin", (), "another web origin whose pages may open vrmon's websocket, e.g. "
            "https://grafana.example.org; only vrmon's own pages may by default", str, repeat=True, metavar="ORIGIN"),
    Setting("tls_cert", "", "PEM certificate to serve HTTPS with (with --tls-key); without it, serving beyond "
            "loopback uses a self-signed certificate kept in the config directory", metavar="FILE"),
    Setting("tls_key", "", "PEM private key of --tls-cert (unencrypted)", metavar="FILE"),
    TOKEN,
    Setting("lan", False, "serve as on a LAN even when bound to loopback (HTTPS and pairing), e.g. behind an SSH tunnel",
            bool),
    Setting("insecure", False, "serve beyond loopback with plain HTTP and no authentication: anyone who reaches the "
            "port reads every trace", bool),
    Setting("config_dir", "", "where vrmon keeps its self-signed certificate (default: $XDG_CONFIG_HOME/vrmon or "
            "~/.config/vrmon)", metavar="DIR"),
)


TAIL_SETTINGS = (
    Setting("once", False, "print the first snapshot and exit", bool, from_env=False),
    Setting("json", False, "print JSON objects instead of text", bool, from_env=False),
    Setting("timeout", 10.0, "seconds to wait for the server", float, from_env=False, metavar="SECONDS"),
    TOKEN,
    Setting("tls_ca", "", "PEM certificate to trust for wss://, beside the system's and vrmon's own self-signed one",
            from_env=False, metavar="FILE"),
)

INSPECT_SETTINGS = (
    Setting("json", False, "print JSON instead of text", bool, from_env=False),
    Setting("findings", False, "list the findings in the files' traces", bool, from_env=False),
    Setting("min_calls", 5, "--findings: repeated calls it takes to be an N+1", int, from_env=False, metavar="N"),
    Setting("compare", False, "compare trace B (second FILE) against baseline A (first FILE)", bool, from_env=False),
    Setting("trace_a", "", "--compare: the trace of A (needed when A holds several)", from_env=False, metavar="ID"),
    Setting("trace_b", "", "--compare: the trace of B (needed when B holds several)", from_env=False, metavar="ID"),
    Setting("top", 5, "--compare: spans to list as contributing most", int, from_env=False, metavar="N"),
)


@dataclass(frozen=True)
class SettingGroup:
    """Settings shown together: in a command's --help (an argparse group) and in the README's table."""

    command: str  # vrmon COMMAND
    title: str  # "" for the command's own options
    about: str
    settings: tuple[Setting, ...]


SETTING_GROUPS = (
    SettingGroup("serve", "", "", SERVE_SETTINGS),
    SettingGroup("serve", "live Jaeger", f"watch a running Jaeger query service (see docs/jaeger.md); {_SHARED}",
                 JAEGER_SETTINGS),
    SettingGroup("serve", "live Tempo", "watch a running Grafana Tempo (see docs/tempo-zipkin.md)", TEMPO_SETTINGS),
    SettingGroup("serve", "live Zipkin", "watch a running Zipkin (see docs/tempo-zipkin.md)", ZIPKIN_SETTINGS),
    SettingGroup("serve", "OpenTelemetry", "apps' SDKs send their spans straight to vrmon; vrmon traces itself",
                 OTLP_SETTINGS),
    SettingGroup("serve", "record and replay", "record live sources, play recordings back (see docs/recording.md)",
                 RECORD_SETTINGS + REPLAY_SETTINGS),
    SettingGroup("serve", "security", "who may connect (see docs/security.md)", SECURITY_SETTINGS),
    SettingGroup("record", "", "", RECORD_SETTINGS + tuple(s for s in SERVE_SETTINGS
                                                          if s.name in ("host_metrics", "retain", "max_spans"))),
    SettingGroup("record", "live Jaeger", f"watch a running Jaeger query service (see docs/jaeger.md); {_SHARED}",
                 JAEGER_SETTINGS),
    SettingGroup("record", "live Tempo", "watch a running Grafana Tempo (see docs/tempo-zipkin.md)", TEMPO_SETTINGS),
    SettingGroup("record", "live Zipkin", "watch a running Zipkin (see docs/tempo-zipkin.md)", ZIPKIN_SETTINGS),
    SettingGroup("record", "OpenTelemetry", "apps' SDKs send their spans straight to vrmon, which records them",
                 tuple(s for s in OTLP_SETTINGS if s.name != "self_trace")),
    SettingGroup("record", "security", "who may export to --otlp (see docs/security.md)", SECURITY_SETTINGS),
    SettingGroup("tail", "", "", TAIL_SETTINGS),
    SettingGroup("inspect", "", "", INSPECT_SETTINGS),
)


def _defaults_from(settings: tuple[Setting, ...]) -> Callable[[str], Any]:
    """`default("port")`: a config field whose default is the table's, so each default is written once."""
    by_name = {s.name: s for s in settings}
    return lambda name: field(default=by_name[name].default_value(), metadata={"setting": by_name[name]})


_security_default = _defaults_from(SECURITY_SETTINGS)
_serve_default = _defaults_from(SERVE_SETTINGS + RECORD_SETTINGS + REPLAY_SETTINGS + OTLP_SETTINGS)


@dataclass(frozen=True)
class SecurityConfig:
    """Who may connect; SECURITY_SETTINGS says what each one means."""

    allow_host: tuple[str, ...] = _security_default("allow_host")
    allow_origin: tuple[str, ...] = _security_default("allow_origin")
    tls_cert: str = _security_default("tls_cert")
    tls_key: str = _security_default("tls_key")
    token: str = _security_default("token")
    lan: bool = _security_default("lan")
    insecure: bool = _security_default("insecure")
    config_dir: str = _security_default("config_dir")

    def __post_init__(self) -> None:
        for origin in self.allow_origin:
            try:
                normalise_origin(origin)
            except ValueError as exc:
                raise ConfigError(f"--allow-origin: {exc}") from None


def security_config(**values: Any) -> SecurityConfig:
    """A SecurityConfig from the settings' defaults (and VRMON_* variables), overridden by `values`."""
    merged = {s.name: s.resolve_default() for s in SECURITY_SETTINGS}
    merged.update(values)
    return SecurityConfig(**{name: tuple(v) if isinstance(v, list) else v for name, v in merged.items()})


@dataclass
class ServeConfig:
    """What `vrmon serve` runs with; SERVE_SETTINGS says what each setting means and holds its default."""

    replay: Sequence[Path] = _serve_default("replay")
    host: str = _serve_default("host")
    port: int = _serve_default("port")
    scene: str = _serve_default("scene")
    scenes_dir: str = _serve_default("scenes_dir")
    tick: float = _serve_default("tick")
    viewer_queue: int = _serve_default("viewer_queue")
    max_viewers: int = _serve_default("max_viewers")
    host_metrics: bool = _serve_default("host_metrics")
    retain: float = _serve_default("retain")  # seconds
    max_spans: int = _serve_default("max_spans")
    record: str = _serve_default("record")
    record_max_size: int = _serve_default("record_max_size")  # bytes, 0: no limit
    record_max_age: float = _serve_default("record_max_age")  # seconds, 0: no limit
    speed: float = _serve_default("speed")
    start: str = _serve_default("start")
    loop: bool = _serve_default("loop")
    replay_clock: str = _serve_default("replay_clock")
    play: bool = _serve_default("play")
    otlp: tuple[str, int] | None = _serve_default("otlp")  # (host, port) of the OTLP/HTTP receiver
    otlp_max_body: float = _serve_default("otlp_max_body")  # MiB
    otlp_cors: Sequence[str] = _serve_default("otlp_cors")  # web origins whose pages may export (normalised)
    self_trace: bool = _serve_default("self_trace")
    jaeger: "JaegerConfig | None" = None
    security: SecurityConfig = field(default_factory=SecurityConfig)
    static_dir: Path = PACKAGE_ROOT / "static"
    node_modules: Path = PACKAGE_ROOT / "node_modules"
    builtin_scenes: Path = PACKAGE_ROOT / "scenes"

    def __post_init__(self) -> None:
        if self.max_viewers < 1:
            raise ConfigError(f"--max-viewers must be at least 1, got {self.max_viewers}")
        if not MIN_SPEED <= self.speed <= MAX_SPEED:
            raise ConfigError(f"--speed {self.speed:g}: use a factor from {MIN_SPEED:g} to {MAX_SPEED:g}")
        if self.record_max_size < 0 or self.record_max_age < 0:
            raise ConfigError("--record-max-size and --record-max-age cannot be negative (0: no limit)")
        if self.otlp_max_body <= 0:
            raise ConfigError(f"--otlp-max-body must be positive, got {self.otlp_max_body:g}")
        try:
            self.otlp_cors = tuple(normalise_origin(origin) for origin in self.otlp_cors)
        except ValueError as exc:
            raise ConfigError(f"--otlp-cors: {exc}") from None
        if self.otlp_cors and self.otlp is None:
            raise ConfigError("--otlp-cors lets web pages export to the OTLP receiver: add --otlp")
        if self.retain <= 0 or self.max_spans < 1:
            raise ConfigError("--retain and --max-spans must be positive")
        if self.jaeger and self.jaeger.late >= self.retain:
            raise ConfigError(f"--late {self.jaeger.late:g}s must be shorter than --retain {self.retain:g}s, "
                              "or re-fetched spans would be evicted again at once")
        if self.jaeger and self.jaeger.lookback > self.retain:
            raise ConfigError(f"--lookback {self.jaeger.lookback:g}s is longer than --retain {self.retain:g}s: "
                              "the first poll would fetch spans that are evicted at once; lower --lookback or raise --retain")

    def scene_dirs(self) -> list[Path]:
        dirs = [self.builtin_scenes]
        if self.scenes_dir:
            dirs.append(Path(self.scenes_dir))
        return dirs


@dataclass(frozen=True)
class JaegerConfig:
    """The live Jaeger source's settings; JAEGER_SETTINGS says what each one means."""

    jaeger: str
    service: tuple[str, ...]
    lookback: float  # seconds, like every duration here
    poll: float
    limit: int
    api: str
    jaeger_header: tuple[str, ...]
    ca_cert: str
    insecure_skip_verify: bool
    late: float
    jaeger_timeout: float
    max_response: float  # MiB
    retry_max: float

    def __post_init__(self) -> None:
        for name in ("lookback", "poll", "jaeger_timeout", "max_response", "retry_max"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be positive, got {getattr(self, name)}")
        if self.late < 0:
            raise ConfigError("--late cannot be negative")
        if self.limit < 1:
            raise ConfigError(f"--limit must be at least 1, got {self.limit}")
        if self.api not in ("auto", "v3", "v1"):
            raise ConfigError(f"--api {self.api!r}: use auto, v3 or v1")


@dataclass(frozen=True)
class TempoConfig:
    """The live Tempo source's own settings (TEMPO_SETTINGS); the shared ones are in JaegerConfig."""

    tempo: str
    tempo_query: str = "{}"
    tempo_header: tuple[str, ...] = ()


@dataclass(frozen=True)
class ZipkinConfig:
    """The live Zipkin source's own settings (ZIPKIN_SETTINGS); the shared ones are in JaegerConfig."""

    zipkin: str
    zipkin_header: tuple[str, ...] = ()


def jaeger_config(**values: Any) -> JaegerConfig:
    """A JaegerConfig from the settings' defaults (and VRMON_* variables), overridden by `values`."""
    merged = {s.name: s.resolve_default() for s in JAEGER_SETTINGS}
    merged.update(values)
    merged["service"] = tuple(merged["service"])
    merged["jaeger_header"] = tuple(merged["jaeger_header"])
    return JaegerConfig(**merged)
