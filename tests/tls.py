"""TLS for the suite: certificates made on the spot, and the embedded broker behind a TLS listener.

``issue_certificates`` writes a CA and, signed by it, a broker certificate for 127.0.0.1 and a client certificate,
as Strimzi hands them out (cluster CA ``ca.crt``, ``user.crt``/``user.key``). ``tls_broker`` starts a tansu broker
that tells clients to connect to a TLS listener in front of it, which demands a client certificate signed by that
CA (Strimzi's ``tls`` authentication). The listener is ours because this tansu build cannot be given both
``--cert`` and ``--key`` (its command line puts them in one exclusive group), and tansu never asks for a client
certificate anyway; the handshake is OpenSSL's, the clients are the project's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from leadline.platform.embedded import EmbeddedKafka, free_port


@dataclass(frozen=True)
class Certificates:
    ca: Path
    broker_cert: Path
    broker_key: Path
    client_cert: Path
    client_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(path: Path, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey | None = None) -> None:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        path.with_suffix(".key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )


def issue_certificates(directory: Path, *, ca_name: str = "leadline test cluster CA") -> Certificates:
    """A CA, a broker certificate (127.0.0.1, localhost) and a client certificate, valid for an hour, in PEM."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())

    def certificate(subject: str, key: ec.EllipticCurvePrivateKey, *extensions: tuple[x509.ExtensionType, bool]):
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(subject))
            .issuer_name(_name(ca_name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(ca_key, hashes.SHA256())

    ca = certificate(ca_name, ca_key, (x509.BasicConstraints(ca=True, path_length=None), True))
    broker_key, client_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    broker = certificate(
        "localhost",
        broker_key,
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        (
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            False,
        ),
    )
    client = certificate(
        "leadline-test-user", client_key, (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
    )
    _write(directory / "ca.crt", ca)
    _write(directory / "broker.crt", broker, broker_key)
    _write(directory / "user.crt", client, client_key)
    return Certificates(
        directory / "ca.crt",
        directory / "broker.crt",
        directory / "broker.key",
        directory / "user.crt",
        directory / "user.key",
    )


@dataclass(frozen=True)
class TlsBroker:
    bootstrap_servers: str
    """The TLS listener: what clients are given, and what the broker advertises in its metadata."""
    plaintext_port: int
    """The broker's own listener behind it."""


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def tls_broker(certificates: Certificates, log_path: Path | None = None) -> AsyncIterator[TlsBroker]:
    """An embedded broker reachable only over mutual TLS (in this event loop, which must keep running)."""
    listener = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=certificates.ca)
    listener.load_cert_chain(certificates.broker_cert, certificates.broker_key)
    listener.verify_mode = ssl.CERT_REQUIRED
    tls_port = free_port()
    kafka = EmbeddedKafka(log_path=log_path, advertised_port=tls_port).start()
    open_writers: set[asyncio.StreamWriter] = set()

    async def forward(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            broker_reader, broker_writer = await asyncio.open_connection("127.0.0.1", kafka.port)
        except OSError:
            client_writer.close()
            return
        open_writers.update((client_writer, broker_writer))
        await asyncio.gather(_pipe(client_reader, broker_writer), _pipe(broker_reader, client_writer))
        open_writers.difference_update((client_writer, broker_writer))

    server = await asyncio.start_server(forward, "127.0.0.1", tls_port, ssl=listener)
    try:
        yield TlsBroker(f"127.0.0.1:{tls_port}", kafka.port)
    finally:
        server.close()
        for writer in list(open_writers):
            writer.close()
        kafka.stop()
