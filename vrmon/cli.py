"""The `vrmon` command: serve a scene, tail a server's stream, inspect a trace file."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from vrmon.cli_inspect import add_inspect_parser
from vrmon.errors import ConfigError, VrmonError
from vrmon.setting_flags import add_command_settings, setting_values
from vrmon.settings import (JAEGER_SETTINGS, OTLP_SETTINGS, RECORD_SETTINGS, REPLAY_SETTINGS, SECURITY_SETTINGS,
                            SERVE_SETTINGS, SETTING_GROUPS, TEMPO_SETTINGS, ZIPKIN_SETTINGS, JaegerConfig, ServeConfig,
                            TempoConfig, ZipkinConfig, jaeger_config, security_config)

T = TypeVar("T")

DESCRIPTION = """\
vrmon: step inside your distributed traces.

  vrmon serve --replay fixtures/otlp-hotrod-dispatch-40spans-serial.json
      serve a trace file, then open http://127.0.0.1:8080/ (desktop or headset browser)
  vrmon serve --jaeger http://localhost:16686
      watch a running Jaeger live: traces appear, grow and age out as they happen
  vrmon serve --tempo http://localhost:3200   or   vrmon serve --zipkin http://localhost:9411
      the same for Grafana Tempo or Zipkin
  vrmon tail ws://127.0.0.1:8080/ws --once --json
      print what a viewer receives, for scripts and debugging
  vrmon serve --jaeger http://localhost:16686 --record incident.vrrec
      watch live and record everything received; `vrmon record` records without serving
  vrmon serve --replay incident.vrrec --speed 4 --start 12m30s
      play a recording back like a video (timeline at the bottom: play, pause, seek, speed)
  vrmon inspect FILE
      count the traces, spans and services in a trace file
  vrmon inspect --findings FILE...
      list N+1 calls, error root causes and slow spans in trace files
  vrmon inspect --compare A.json B.json
      show where trace B spends more or less time than baseline A
"""


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()  # reads the VRMON_* variables: a bad one is a one-line error too
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
        return args.run(args)
    except VrmonError as exc:
        print(f"vrmon: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vrmon", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="serve traces to desktop and headset browsers",
        description="Serve traces as a 3D scene. Every option can also be set as VRMON_<NAME> (e.g. VRMON_PORT=9000).",
    )
    add_command_settings(serve, "serve")
    serve.set_defaults(run=_serve)

    record = sub.add_parser("record", help="record live sources to a file without serving",
                            description="Record what the live sources send (spans, statuses, host load, dependencies) to a "
                                        ".vrrec file until Ctrl-C or a --record-max-* bound; replay it with "
                                        "`vrmon serve --replay FILE`.")
    add_command_settings(record, "record")
    record.set_defaults(run=_record)

    tail = sub.add_parser("tail", help="connect to a vrmon server like a viewer and print the frames",
                          description="Connect to a vrmon websocket and print one line per frame received.")
    tail.add_argument("url", metavar="WS_URL", help="websocket URL, e.g. ws://127.0.0.1:8080/ws")
    add_command_settings(tail, "tail")
    tail.set_defaults(run=_tail)

    add_inspect_parser(sub)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from vrmon.listen import bind_listener

    live = LiveConfigs.of(args)
    jaeger = live.shared if live.any else None  # --late, --lookback: checked against --retain for every live source
    replay = [*setting_values(args, SERVE_SETTINGS)["replay"]]
    if not replay and not live.any and args.otlp is None and not args.self_trace:
        raise ConfigError("nothing to show: pass --replay FILE, --jaeger, --tempo or --zipkin URL, or --otlp "
                          "(try --replay fixtures/otlp-hotrod-dispatch-40spans-serial.json or --jaeger http://localhost:16686)")
    security = security_config(**setting_values(args, SECURITY_SETTINGS))
    config = ServeConfig(jaeger=jaeger, security=security, **{**setting_values(args, SERVE_SETTINGS), "replay": replay},
                         **setting_values(args, RECORD_SETTINGS + REPLAY_SETTINGS + OTLP_SETTINGS))
    listener = bind_listener(config.host, config.port)  # a port in use is one line, before anything is loaded
    config = dataclasses.replace(config, port=listener.getsockname()[1])  # the real one, also for --port 0
    # The --otlp port too, before Jaeger is asked anything: in use, it is one line at once, not
    # after a slow Jaeger's answer (up to --jaeger-timeout later).
    otlp_listener = bind_listener(*config.otlp, flag="--otlp") if config.otlp is not None else None
    sources, banner = [], []
    if config.self_trace:  # first: the spans of everything below are recorded
        from vrmon.self_trace import SelfTrace

        sources.append(SelfTrace())
        banner.append("tracing vrmon's own work: it shows as service vrmon")
    # Jaeger is asked what it speaks while the serving code loads (a remote one answers in round trips)
    live_sources = _in_background(lambda: _live_sources(live))
    # Imported once listening (a browser that connects meanwhile waits in the backlog, not refused);
    # tests/test_start_imports.py pins what is and is not imported before serving.
    import uvicorn

    from vrmon.app import create_app
    from vrmon.model.span_store import SpanStore
    from vrmon.ws_protocol import UVICORN_WS_OPTIONS

    store = SpanStore()
    if otlp_listener is not None:
        from vrmon.otlp_receiver import OtlpReceiver

        receiver = OtlpReceiver.from_config(config, store, otlp_listener)
        sources.append(receiver)
        banner += receiver.banner()
    sources += live_sources.result()  # a URL that answers but is not Jaeger fails here, in one line
    logging.basicConfig(format="vrmon: %(message)s")  # e.g. a replay file that turned out unreadable
    app = create_app(config, store, sources=sources, replay_in_background=True)  # listen first; the page shows the progress
    if config.replay:
        what = f"the recording {app.state.recording.name}" if app.state.recording else f"{len(config.replay)} trace file(s)"
        print(f"vrmon: reading {what} in the background", file=sys.stderr)
    exposure = app.state.exposure
    for line in exposure.banner() + banner:
        print(f"vrmon: {line}", file=sys.stderr)
    if exposure.pairing:
        exposure.pairing.current_code()  # prints the first pairing code
    server = uvicorn.Server(uvicorn.Config(app, host=config.host, port=config.port, log_level="warning",
                                           **UVICORN_WS_OPTIONS, **exposure.uvicorn_options()))
    server.run(sockets=[listener])
    return 0


@dataclasses.dataclass(frozen=True)
class LiveConfigs:
    """The live sources asked for: each backend's own settings, and the settings they share."""

    shared: JaegerConfig  # its `jaeger` URL is empty when no Jaeger is watched
    tempo: TempoConfig | None
    zipkin: ZipkinConfig | None

    @classmethod
    def of(cls, args: argparse.Namespace) -> "LiveConfigs":
        tempo, zipkin = setting_values(args, TEMPO_SETTINGS), setting_values(args, ZIPKIN_SETTINGS)
        return cls(jaeger_config(**setting_values(args, JAEGER_SETTINGS)),
                   TempoConfig(**{**tempo, "tempo_header": tuple(tempo["tempo_header"])}) if tempo["tempo"] else None,
                   ZipkinConfig(**{**zipkin, "zipkin_header": tuple(zipkin["zipkin_header"])}) if zipkin["zipkin"] else None)

    @property
    def any(self) -> bool:
        return bool(self.shared.jaeger or self.tempo or self.zipkin)


def _in_background(call: Callable[[], T]) -> Future[T]:
    """`call()` in a daemon thread, its result in the future. Unlike a ThreadPoolExecutor's worker, the
    thread does not hold the process's exit: an error meanwhile (e.g. --otlp beyond loopback without a
    token) ends vrmon at once, not after a slow Jaeger's answer."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(call())
        except BaseException as exc:  # handed to whoever waits on the result
            future.set_exception(exc)

    threading.Thread(target=run, name="vrmon-probe", daemon=True).start()
    return future


def _live_sources(live: LiveConfigs) -> list:
    sources: list = [_jaeger_source(live.shared)] if live.shared.jaeger else []
    if live.tempo is not None:
        from vrmon.sources.tempo import TempoSource

        sources.append(TempoSource(live.tempo, live.shared))
    if live.zipkin is not None:
        from vrmon.sources.zipkin import ZipkinSource

        sources.append(ZipkinSource(live.zipkin, live.shared))
    for source in sources[1 if live.shared.jaeger else 0:]:  # Jaeger says what it speaks: see _jaeger_source
        print(f"vrmon: watching {source.backend.name} at {source.shown_url}, every {live.shared.poll:g} s", file=sys.stderr)
    return sources


def _jaeger_source(jaeger: JaegerConfig):
    import asyncio

    from vrmon.sources.jaeger import JaegerSource, probe  # httpx and ssl: only when there is a Jaeger to ask
    from vrmon.sources.http_client import Unreachable, redact_url

    try:
        caps = asyncio.run(probe(jaeger))  # a URL that answers but is not Jaeger fails here
        print(f"vrmon: Jaeger at {redact_url(jaeger.jaeger)} speaks {caps.describe()}; polling every {jaeger.poll:g} s",
              file=sys.stderr)
    except Unreachable as exc:  # not up yet (e.g. started together by docker compose)
        caps = None
        print(f"vrmon: waiting for Jaeger at {redact_url(jaeger.jaeger)} ({exc}); it is shown as soon as it answers",
              file=sys.stderr)
    return JaegerSource(jaeger, caps)


def _record(args: argparse.Namespace) -> int:
    import asyncio

    from vrmon.model.span_store import SpanStore
    from vrmon.recording.headless import record_only
    from vrmon.recording.writer import Recorder

    if not args.record:
        raise ConfigError("where to? pass --record FILE (a new .vrrec file)")
    live = LiveConfigs.of(args)
    if not live.any and args.otlp is None:
        raise ConfigError("nothing to record: pass --jaeger, --tempo or --zipkin URL, or --otlp to receive apps' "
                          "exports (e.g. --jaeger http://localhost:16686)")
    own = [s for g in SETTING_GROUPS if g.command == "record" and g.title in ("", "OpenTelemetry") for s in g.settings]
    config = ServeConfig(jaeger=live.shared if live.any else None, security=security_config(**setting_values(args, SECURITY_SETTINGS)),
                         **setting_values(args, tuple(own)))
    store = SpanStore()
    sources = []
    if config.otlp is not None:
        from vrmon.otlp_receiver import OtlpReceiver

        receiver = OtlpReceiver.from_config(config, store)  # its port in use is one line, before recording starts
        sources.append(receiver)
        for line in receiver.banner():
            print(f"vrmon: {line}", file=sys.stderr)
    sources += _live_sources(live)

    def report(state: str, message: str) -> None:  # progress would be a line per poll: only trouble is printed
        if state != "ok":
            print(f"vrmon: recording: {message}", file=sys.stderr, flush=True)

    recorder = Recorder(Path(config.record), [s.name for s in sources], max_size=config.record_max_size,
                        max_age=config.record_max_age, report=report)
    print(f"vrmon: recording to {config.record}; Ctrl-C stops", file=sys.stderr, flush=True)
    try:
        asyncio.run(record_only(config, sources, recorder, store))
    except KeyboardInterrupt:
        pass
    finally:
        recorder.close("stopped by the user")
    print(f"vrmon: recorded {recorder.spans} spans ({recorder.size / 1e6:.1f} MB) to {config.record}", file=sys.stderr)
    return 1 if recorder.failed else 0


def _tail(args: argparse.Namespace) -> int:
    from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI, WebSocketException
    from websockets.sync.client import connect

    from vrmon.protocol import decode_server_frame

    headers = {"Authorization": f"Bearer {args.token}"} if args.token else None
    try:
        ws = connect(args.url, open_timeout=args.timeout, max_size=None, additional_headers=headers,
                     ssl=_tail_tls(args.tls_ca) if args.url.startswith("wss:") else None)
    except InvalidURI:
        raise ConfigError(f"{args.url!r} is not a websocket URL; use ws://HOST:PORT/ws") from None
    except InvalidStatus as exc:
        raise ConfigError(f"{args.url} refused the connection (HTTP {exc.response.status_code}): the token is missing or "
                          "wrong (--token or VRMON_TOKEN), or vrmon does not answer to that host name (--allow-host)") from None
    except (OSError, TimeoutError, WebSocketException) as exc:
        raise ConfigError(f"cannot connect to {args.url}: {exc}; is `vrmon serve` running there?") from None
    try:
        with ws:
            while True:
                frame = decode_server_frame(ws.recv(timeout=None if not args.once else args.timeout))
                summary = summarise_frame(frame)
                print(json.dumps(summary) if args.json else _text(summary), flush=True)
                if args.once and frame["type"] == "snapshot":
                    return 0
    except TimeoutError:
        raise ConfigError(f"no snapshot from {args.url} within {args.timeout} s") from None
    except ConnectionClosed as exc:
        print(f"vrmon: connection closed ({exc})", file=sys.stderr)
        return 0 if not args.once else 1


def _tail_tls(ca_file: str):
    """Trust the system's CAs, the given certificate, and vrmon's own self-signed one if it is here."""
    import ssl

    from vrmon.tls import CERT_NAME, default_config_dir

    context = ssl.create_default_context()
    own = default_config_dir() / "tls" / CERT_NAME
    for path in (ca_file, own if own.exists() else ""):
        if path:
            try:
                context.load_verify_locations(cafile=str(path))
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(f"cannot use {path} as a TLS certificate to trust: {exc}") from None
    return context


def summarise_frame(frame: dict[str, Any]) -> dict[str, Any]:
    kind = frame["type"]
    if kind == "snapshot":
        totals = frame["scene"].get("totals", {})
        return {
            "type": kind,
            "seq": frame["seq"],
            "scene": frame["scene"]["name"],
            "trace": frame["scene"].get("trace"),
            "traces": totals.get("traces", len(frame["traces"])),
            "spans": totals.get("spans", len(frame["nodes"])),
            "services": sorted(frame["services"]),
            "nodes": len(frame["nodes"]),
        }
    if kind == "delta":
        return {
            "type": kind,
            "seq": frame["seq"],
            "added": len(frame["added"]),
            "updated": len(frame["updated"]),
            "removed": len(frame["removed"]),
            "new_services": frame["services"]["names"],
        }
    if kind == "status":
        return {k: frame.get(k) for k in ("type", "source", "state", "message")}
    if kind == "metrics":
        import numpy as np

        cpu = np.frombuffer(frame["cpu"], "<f4")
        return {"type": kind, "cpu_percent": round(float(cpu.mean()), 1) if len(cpu) else 0.0, "cores": len(cpu),
                "load": [round(float(v), 2) for v in frame["load"]],
                "mem_used_mib": frame["mem_used"] >> 20, "mem_total_mib": frame["mem_total"] >> 20}
    if kind == "details":
        span = frame["span"]
        return {"type": kind, "id": span["id"], "service": span["service"], "operation": span["operation"]}
    return {k: v for k, v in frame.items() if isinstance(v, (str, int, float, type(None)))}


def _text(summary: dict[str, Any]) -> str:
    kind = summary["type"]
    if kind == "snapshot":
        return (f"snapshot seq={summary['seq']} scene={summary['scene']} traces={summary['traces']} "
                f"spans={summary['spans']} nodes={summary['nodes']} services={','.join(summary['services'])}")
    if kind == "delta":
        return f"delta seq={summary['seq']} +{summary['added']} ~{summary['updated']} -{summary['removed']}"
    if kind == "status":
        return f"status {summary['source']}: {summary['state']}: {summary['message']}"
    if kind == "metrics":
        return (f"metrics cpu={summary['cpu_percent']}% of {summary['cores']} cores load={'/'.join(map(str, summary['load']))} "
                f"memory={summary['mem_used_mib']}/{summary['mem_total_mib']} MiB")
    return " ".join(f"{k}={v}" for k, v in summary.items())


if __name__ == "__main__":
    sys.exit(main())
