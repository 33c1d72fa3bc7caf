"""Sending one webhook: the target's addresses checked when it is sent, the Standard Webhooks
signature, and a deadline for the whole request.

The host name is resolved here and the connection made to the address that was checked, so a
name that changes its answer between the check and the connection (DNS rebinding) gains nothing.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from standardwebhooks import Webhook

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# Cloud metadata services answer here; refused even if a private range were allowed by mistake.
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class Refused(Exception):
    """The target may not be sent to: its scheme, or an address it resolves to."""


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str | None


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_address(address: Address, allowed: Sequence[Network]) -> None:
    if address in METADATA and not any(address in network for network in allowed):
        raise Refused(f"{address} is a cloud metadata address")
    if is_public(address) or any(address in network for network in allowed):
        return
    raise Refused(f"{address} is not a public address")


def resolve(host: str, port: int, allowed: Sequence[Network]) -> Address:
    """The first address of `host`, once every address it has passed the check."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise Refused(f"{host} does not resolve: {error}") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for address in addresses:
        check_address(address, allowed)
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: Address, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self._address), self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: Address, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((str(self._address), self.port), self.timeout)
        # Certificate and SNI for the host name, while the socket goes to the checked address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def send(
    url: str,
    secret: str,
    message_id: str,
    body: str,
    timeout: float,
    allow_http: bool,
    allowed: Sequence[Network],
) -> Outcome:
    """POST the body, signed; the HTTP status, or why there is none. Never raises."""
    deadline = time.monotonic() + timeout
    parts = urlsplit(url)
    try:
        if parts.scheme != "https" and not (parts.scheme == "http" and allow_http):
            raise Refused(f"{parts.scheme}:// targets are not allowed")
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve(host, port, allowed)
        connection_class = (
            _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
        )
        connection = connection_class(host, port, address, timeout)
        # Each attempt is signed anew: receivers refuse a timestamp more than minutes old.
        signed_at = datetime.now(UTC)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "factcheck-service webhooks",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(signed_at.timestamp())),
            "webhook-signature": Webhook(secret).sign(message_id, signed_at, body),
        }
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            connection.request("POST", path, body=body.encode(), headers=headers)
            if connection.sock is not None:
                # What is left of the deadline, for the answer.
                connection.sock.settimeout(max(0.001, deadline - time.monotonic()))
            response = connection.getresponse()
            response.read(65536)
            return Outcome(response.status, None if response.status < 300 else response.reason)
        finally:
            connection.close()
    except Refused as refused:
        return Outcome(None, f"refused: {refused}")
    except TimeoutError:
        return Outcome(None, f"timed out after {timeout:g} s")
    except (OSError, http.client.HTTPException) as error:
        return Outcome(None, f"{type(error).__name__}: {error}")
