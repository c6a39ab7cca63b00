"""How far vrmon is exposed, decided once at start: loopback (plain HTTP, same-origin rules), or
the LAN (HTTPS and authentication on, unless the user said --insecure), and what to tell the user."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vrmon.pairing import Pairing
from vrmon.security import WILDCARD_ADDRESSES, AccessPolicy, access_policy
from vrmon.settings import ServeConfig
from vrmon.tls import Certificate, LocalNames, default_config_dir, given_certificate, local_names, self_signed_certificate


@dataclass
class Exposure:
    host: str
    port: int
    lan: bool  # serving beyond loopback (or as if, with --lan)
    names: LocalNames
    policy: AccessPolicy
    certificate: Certificate | None = None
    pairing: Pairing | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def scheme(self) -> str:
        return "https" if self.certificate else "http"

    def uvicorn_options(self) -> dict[str, Any]:
        if not self.certificate:
            return {}
        return {"ssl_certfile": str(self.certificate.cert), "ssl_keyfile": str(self.certificate.key)}

    def urls(self) -> list[str]:
        """Where to open vrmon: each LAN address when bound to all of them, else the bound address."""
        if self.host in WILDCARD_ADDRESSES:
            lan = self.names.lan_addresses()
            hosts = [str(a) for a in lan if a.version == 4] or [str(a) for a in lan] or ["127.0.0.1"]
        else:
            hosts = [self.host]
        return [f"{self.scheme}://{f'[{h}]' if ':' in h else h}:{self.port}/" for h in hosts]

    def banner(self) -> list[str]:
        """What `vrmon serve` prints before it listens."""
        lines = list(self.warnings)
        if self.certificate:
            where = f"self-signed, kept in {self.certificate.cert.parent}" if self.certificate.generated else str(self.certificate.cert)
            made = " (new: browsers will ask you to accept it)" if self.certificate.made_now else ""
            lines.append(f"HTTPS certificate: {where}{made}")
            lines.append(f"certificate SHA-256 fingerprint: {self.certificate.fingerprint}")
            lines.append("  check that the headset's browser shows the same fingerprint before you accept the certificate")
        urls = self.urls()
        if not self.lan:
            lines.append(f"open {urls[0]} in a desktop or headset browser")
            return lines
        lines.append("open " + " or ".join(urls) + " on the headset (same network)")
        if self.pairing:
            lines.append("the page asks for a pairing code once per browser; a new one is printed here when needed")
            lines.append("scripts and `vrmon tail`: " + ("send 'Authorization: Bearer' with the --token"
                                                        if self.pairing.token else
                                                        "set VRMON_TOKEN (or --token) to let them in with 'Authorization: Bearer'"))
        return lines


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def decide_exposure(config: ServeConfig, script_hashes: Callable[[], tuple[str, ...]] = tuple) -> Exposure:
    """`script_hashes`: the CSP sources of the served index page's inline scripts (ClientPage.script_hashes)."""
    security = config.security
    lan = security.lan or not is_loopback(config.host)
    names = local_names() if lan else LocalNames(("localhost",), ())
    certificate: Certificate | None = None
    pairing: Pairing | None = None
    warnings: list[str] = []
    if security.tls_cert or security.tls_key:
        certificate = given_certificate(security.tls_cert, security.tls_key)
    if lan and security.insecure:
        warnings.append(
            f"WARNING: --insecure: plain HTTP and no authentication on {config.host}:{config.port}. Anyone who can "
            "reach this port can read every trace (SQL statements, user ids, internal hostnames) and watch it live, "
            "and a headset will not offer Enter VR without HTTPS.")
    elif lan:
        if certificate is None:
            config_dir = Path(security.config_dir) if security.config_dir else default_config_dir()
            certificate = self_signed_certificate(config_dir, names)
        pairing = Pairing(token=security.token)
    policy = access_policy(config.host, security.allow_host, security.allow_origin,
                           local_names=[*(names.all() if lan else ()), *(certificate.dns_names if certificate else ())],
                           script_hashes=script_hashes)
    return Exposure(config.host, config.port, lan, names, policy, certificate, pairing, warnings)
