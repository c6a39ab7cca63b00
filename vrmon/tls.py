"""HTTPS for a headset on the LAN: this machine's names and addresses, a self-signed certificate
for them kept in the user's config directory (made once, reused while it still fits), and the
SHA-256 fingerprint a user compares with what the headset's browser shows."""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from vrmon.errors import ConfigError

CERT_NAME = "vrmon-cert.pem"
KEY_NAME = "vrmon-key.pem"
VALID_DAYS = 397  # the longest validity browsers accept for any certificate
RENEW_BEFORE_DAYS = 30

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class LocalNames:
    """What a device on the LAN may call this machine."""

    dns: tuple[str, ...]  # localhost, the hostname, hostname.local (mDNS), the FQDN
    addresses: tuple[Address, ...]  # every interface address but IPv6 link-local ones

    def lan_addresses(self) -> list[Address]:
        """Addresses another device can reach (IPv4 first: what a headset user types)."""
        usable = [a for a in self.addresses if not a.is_loopback]
        return sorted(usable, key=lambda a: (a.version, int(a)))

    def all(self) -> list[str]:
        return [*self.dns, *(str(a) for a in self.addresses)]


def local_names() -> LocalNames:
    import psutil  # only serving beyond loopback asks

    host = socket.gethostname().lower()
    dns = dict.fromkeys(["localhost", host, f"{host.split('.')[0]}.local", socket.getfqdn().lower()])
    addresses: dict[Address, None] = {ipaddress.ip_address("127.0.0.1"): None, ipaddress.ip_address("::1"): None}
    for entries in psutil.net_if_addrs().values():
        for entry in entries:
            if entry.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            try:
                address = ipaddress.ip_address(entry.address.split("%")[0])
            except ValueError:
                continue
            if not address.is_link_local:
                addresses[address] = None
    return LocalNames(tuple(name for name in dns if name), tuple(addresses))


def default_config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "vrmon"


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path
    fingerprint: str  # SHA-256 of the DER certificate, "AB:CD:…"
    generated: bool  # made by vrmon (self-signed), not given with --tls-cert
    made_now: bool = False  # a new one this start: the headset will ask to accept it again
    dns_names: tuple[str, ...] = ()  # a given certificate's names: requests may name them as Host


def given_certificate(cert: str, key: str) -> Certificate:
    """A certificate the user gave with --tls-cert and --tls-key, checked before anything listens."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    if bool(cert) != bool(key):
        raise ConfigError("--tls-cert and --tls-key go together: give both, or neither for a self-signed certificate")
    try:
        certificate = x509.load_pem_x509_certificate(Path(cert).read_bytes())
        load_pem_private_key(Path(key).read_bytes(), password=None)
    except OSError as exc:
        raise ConfigError(f"cannot read the TLS certificate or key: {exc}") from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{cert} / {key}: not a PEM certificate and unencrypted PEM key ({exc})") from None
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = tuple(name.lower() for name in san.get_values_for_type(x509.DNSName) if not name.startswith("*."))
    except x509.ExtensionNotFound:
        names = ()
    return Certificate(Path(cert), Path(key), fingerprint(certificate), generated=False, dns_names=names)


def self_signed_certificate(config_dir: Path, names: LocalNames, now: datetime.datetime | None = None) -> Certificate:
    """vrmon's own certificate for `names`: the one kept in `config_dir` if it still covers them and
    is not about to expire, else a new one (its fingerprint changes; the headset asks again)."""
    from cryptography import x509

    now = now or datetime.datetime.now(datetime.timezone.utc)
    folder = config_dir / "tls"
    cert_path, key_path = folder / CERT_NAME, folder / KEY_NAME
    if cert_path.exists() and key_path.exists():
        try:
            existing = x509.load_pem_x509_certificate(cert_path.read_bytes())
        except ValueError:
            existing = None  # damaged: make a new one
        if existing is not None and _still_fits(existing, names, now):
            return Certificate(cert_path, key_path, fingerprint(existing), generated=True)
    certificate = _generate(cert_path, key_path, names, now)
    return Certificate(cert_path, key_path, fingerprint(certificate), generated=True, made_now=True)


def fingerprint(certificate) -> str:
    from cryptography.hazmat.primitives import hashes

    return ":".join(f"{byte:02X}" for byte in certificate.fingerprint(hashes.SHA256()))


def _still_fits(certificate, names: LocalNames, now: datetime.datetime) -> bool:
    from cryptography import x509

    if certificate.not_valid_after_utc - now < datetime.timedelta(days=RENEW_BEFORE_DAYS):
        return False
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return set(names.dns) <= set(san.get_values_for_type(x509.DNSName)) and \
        set(names.addresses) <= set(san.get_values_for_type(x509.IPAddress))


def _generate(cert_path: Path, key_path: Path, names: LocalNames, now: datetime.datetime):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"vrmon on {socket.gethostname()}"[:64])])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(name) for name in names.dns] + [x509.IPAddress(address) for address in names.addresses]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    try:
        cert_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key_bytes = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never readable by others
        with os.fdopen(descriptor, "wb") as out:
            out.write(key_bytes)
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    except OSError as exc:
        raise ConfigError(f"cannot keep vrmon's certificate in {cert_path.parent}: {exc}; "
                          "give one with --tls-cert and --tls-key, or another --config-dir") from None
    return certificate
