"""Errors vrmon raises on purpose.

Every message says what went wrong and what to do next; the CLI prints it as one line.

    VrmonError
    ├── ConfigError        a setting, flag or scene preset is invalid
    ├── TraceFormatError   a trace file or API body is not a shape vrmon can read
    ├── SourceError        a trace source (Jaeger, a file) cannot be reached or read
    └── ProtocolError      a websocket frame is malformed, too large or of an unknown type
"""

from __future__ import annotations


class VrmonError(Exception):
    """Base class: the message is meant for the user, as is."""


class ConfigError(VrmonError):
    pass


class TraceFormatError(VrmonError):
    pass


class SourceError(VrmonError):
    pass


class ProtocolError(VrmonError):
    pass
