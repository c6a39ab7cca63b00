"""The server's listening socket, bound before anything tells the user to open a URL.

A port that cannot be had ends in one line that says what to do, never a uvicorn traceback.
"""

from __future__ import annotations

import errno
import socket

from vrmon.errors import ConfigError


def bind_listener(host: str, port: int, flag: str = "--port") -> socket.socket:
    """A socket bound to host:port and listening (port 0: any free port; read it with getsockname).
    `flag` is the option that chose the port (--port, --otlp), for the messages."""
    host_flag = "--host" if flag == "--port" else flag  # --otlp names its host and port together
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise ConfigError(f"{host_flag} {host!r}: cannot resolve it ({exc.strerror}); use an address such as 127.0.0.1") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart need not wait out TIME_WAIT
    try:
        sock.bind(address)
        sock.listen(2048)  # browsers that connect before uvicorn is up wait in the backlog
    except OSError as exc:
        sock.close()
        raise ConfigError(_bind_failure(host, port, exc, flag, host_flag)) from None
    sock.set_inheritable(True)
    return sock


def _bind_failure(host: str, port: int, exc: OSError, flag: str, host_flag: str) -> str:
    if flag == "--port":
        other = 8080 if port != 8080 else 8081
        demo = f" (make demo PORT={other})"
    else:
        other, demo = port + 1, ""
    if exc.errno == errno.EADDRINUSE:
        return (f"port {port} on {host} is already in use (another vrmon?); pick a free one with {flag} {other}"
                f"{demo}, or {flag} 0 for any free port")
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on port {port} of {host} (ports below 1024 need privileges); use {flag} {other}"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host_flag} {host}: not an address of this machine; use 127.0.0.1 (or 0.0.0.0 for every interface)"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
