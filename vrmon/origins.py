"""Web origins as vrmon compares them (the settings check --allow-origin with this at start-up)."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def normalise_origin(origin: str) -> str:
    """'HTTPS://Example.org:443/' → 'https://example.org'; raises ValueError if not an origin."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"{origin!r} is not an origin like https://grafana.example.org:3000")
    port = parts.port if parts.port not in (None, DEFAULT_PORTS[parts.scheme]) else None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")
