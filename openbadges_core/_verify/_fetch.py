"""Fetching documents for the verifier: the SSRF-safe default :class:`~openbadges_core.Fetcher`.

``SafeFetcher`` only speaks http(s). It resolves every host itself, refuses addresses outside the
public internet (unless ``allow_private_network=True``) and then connects to exactly the address it
checked (the URL is rewritten to the IP; ``Host`` and TLS SNI/certificate checks keep the name), so a
DNS answer cannot change between the check and the connection. Redirects are followed by hand, one
hop at a time, each hop checked again, with a bounded count and loop detection. Bodies are streamed
and cut off at ``max_response_bytes``. One deadline covers the whole request — connect, TLS, every
header and body read — because each socket operation gets at most the time left of it (a per-read
timeout alone lets a server dripping one header line a second hold a request for minutes).
"""

from __future__ import annotations

import ipaddress
import math
import re
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as _FutureTimeout
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from openbadges_core._errors import (
    BlockedAddressError,
    FetchError,
    FetchTimeoutError,
    ResponseTooLargeError,
    TooManyRedirectsError,
)
from openbadges_core._net import DEFAULT_ACCEPT, FetchResponse

__all__ = ["DocumentCache", "SafeFetcher", "is_public_address"]

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_V6_BLOCKED = tuple(ipaddress.ip_network(n) for n in (
    "::/96",          # IPv4-compatible (deprecated)
    "::ffff:0:0/96",  # IPv4-mapped
    "64:ff9b::/96",   # NAT64 well-known prefix
    "64:ff9b:1::/48",  # local-use NAT64
    "2002::/16",      # 6to4 (embeds an IPv4 address)
    "2001::/32",      # Teredo (embeds an IPv4 address)
    "fec0::/10",      # site-local (deprecated)
))


def is_public_address(ip: IPAddress) -> bool:
    """True for an address on the public internet; False for private, loopback, link-local, CGNAT,
    multicast, unspecified, reserved, documentation, and IPv6 forms that embed IPv4 addresses."""
    if (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified
            or ip.is_reserved or not ip.is_global):
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return ip not in _CGNAT
    return not any(ip in net for net in _V6_BLOCKED)


Resolver = Callable[[str, int], list[str]]


# Name resolution runs here so a slow DNS answer cannot outlive the request's deadline.
_RESOLVER_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="openbadges-dns")


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]
        if addr not in seen:
            seen.append(addr)
    return seen


# -- one deadline over the whole request --------------------------------------------------------------
_LENGTH = re.compile(r"[0-9]+")  # not str.isdigit(): it holds for "²", which int() refuses
_LENGTH_DIGITS = 20  # more significant digits than any real length (h11's cap); int() refuses past 4,300


def _announced_bytes(declared: str) -> float:
    """The size a Content-Length announces; 0 for a malformed one (the body is capped as it streams),
    ``inf`` for one of more than 20 significant digits."""
    if _LENGTH.fullmatch(declared) is None:
        return 0
    significant = declared.lstrip("0")
    return math.inf if len(significant) > _LENGTH_DIGITS else int(significant or "0")


_REQUEST = threading.local()  # .deadline: time.monotonic() value the current thread's request must end by


def _clip(timeout: float | None) -> float:
    """A socket operation's timeout, cut to what is left of the current request's deadline."""
    deadline: float | None = getattr(_REQUEST, "deadline", None)
    if deadline is None:
        return 10.0 if timeout is None else timeout
    remaining = max(deadline - time.monotonic(), 0.001)  # at zero, the operation times out at once
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clip(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clip(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _clip(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync backend whose streams honour the current request's deadline."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_tcp(host, port, _clip(timeout), local_address,
                                                       socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _deadline_transport(limits: httpx.Limits) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(verify=True, trust_env=False, limits=limits)
    # The one way to give httpx a network backend: its transport's pool, rebuilt with ours.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(), max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
        network_backend=_DeadlineBackend())
    return transport


class SafeFetcher:
    """The default fetcher: httpx, SSRF-safe, DNS-pinned, size- and time-limited.

    Thread-safe; share one instance (and its connection pool) between verifications.
    """

    def __init__(self, *, allow_private_network: bool = False, timeout: float = 10.0,
                 max_response_bytes: int = 2 * 1024 * 1024, max_redirects: int = 5,
                 user_agent: str = "openbadges-verifier/0.1", resolver: Resolver | None = None,
                 allowed_networks: Iterable[str] = ()) -> None:
        """``allowed_networks`` (CIDR strings) opens chosen non-public networks without opening all of
        them; ``resolver(host, port) -> [ip, ...]`` replaces the system resolver."""
        if timeout <= 0 or max_response_bytes <= 0 or max_redirects < 0:
            raise ValueError("timeout and max_response_bytes must be positive, max_redirects >= 0")
        self.allow_private_network = allow_private_network
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self._resolve = resolver or _system_resolver
        self.allowed_networks = tuple(ipaddress.ip_network(n, strict=False) for n in allowed_networks)
        # trust_env=False: an environment proxy would connect somewhere we did not check.
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        self._client = httpx.Client(trust_env=False, follow_redirects=False, verify=True, limits=limits,
                                    transport=_deadline_transport(limits))

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the one method ---------------------------------------------------------------------------
    def fetch(self, url: str, *, accept: str = DEFAULT_ACCEPT, timeout: float | None = None) -> FetchResponse:
        """Fetch ``url`` following at most ``max_redirects`` checked redirects within ``timeout`` s."""
        budget = self.timeout if timeout is None else min(timeout, self.timeout)
        deadline = time.monotonic() + max(budget, 0.0)
        visited: list[str] = []
        current = url
        while True:
            if current in visited:
                raise TooManyRedirectsError(f"redirect loop: {current} was already visited")
            visited.append(current)
            status, ctype, body, headers, location = self._fetch_once(current, accept, deadline)
            if status in _REDIRECT_STATUSES and location:
                if len(visited) > self.max_redirects:
                    raise TooManyRedirectsError(
                        f"more than {self.max_redirects} redirects starting from {url}")
                current = urljoin(current, location)
                continue
            return FetchResponse(current, status, ctype, body, tuple(visited[:-1]), headers)

    # -- one hop ----------------------------------------------------------------------------------
    def _pinned_address(self, host: str, port: int, deadline: float) -> str:
        try:
            literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None:
            candidates = [str(literal)]
        else:
            future = _RESOLVER_POOL.submit(self._resolve, host, port)
            try:
                candidates = future.result(timeout=max(deadline - time.monotonic(), 0.001))
            except _FutureTimeout:
                future.cancel()
                raise FetchTimeoutError(f"timed out resolving {host}") from None
            except (OSError, UnicodeError) as exc:
                raise FetchError(f"cannot resolve {host}: {exc}") from None
            if not candidates:
                raise FetchError(f"cannot resolve {host}: no addresses")
        if not self.allow_private_network:
            for addr in candidates:
                ip = ipaddress.ip_address(addr)
                if not is_public_address(ip) and not any(
                        ip.version == net.version and ip in net for net in self.allowed_networks):
                    raise BlockedAddressError(
                        f"{host} resolves to {addr}, a non-public address; refused "
                        "(allow_private_network is off)")
        return candidates[0]

    def _fetch_once(self, url: str, accept: str, deadline: float
                    ) -> tuple[int, str, bytes, dict[str, str], str | None]:
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise FetchError(f"malformed URL {url!r}: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise BlockedAddressError(f"only http and https URLs are fetched, not {scheme or 'no'} scheme: {url}")
        if parts.username or parts.password:
            raise BlockedAddressError(f"URLs with credentials are refused: {url}")
        try:
            host = parts.hostname
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError as exc:
            raise FetchError(f"malformed URL {url!r}: {exc}") from None
        if not host:
            raise FetchError(f"URL has no host: {url!r}")
        address = self._pinned_address(host, port, deadline)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchTimeoutError(f"time budget exhausted before fetching {url}")
        try:
            original = httpx.URL(url)
            pinned = original.copy_with(host=address)
        except (httpx.InvalidURL, ValueError) as exc:
            raise FetchError(f"malformed URL {url!r}: {exc}") from None
        headers = {"Host": original.netloc.decode("ascii"), "Accept": accept,
                   "User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"}
        extensions: dict[str, Any] = {"timeout": httpx.Timeout(remaining).as_dict()}
        if scheme == "https":
            extensions["sni_hostname"] = host
        request = self._client.build_request("GET", pinned, headers=headers, extensions=extensions)
        _REQUEST.deadline = deadline
        try:
            return self._send(request, url, deadline)
        finally:
            _REQUEST.deadline = None

    def _send(self, request: httpx.Request, url: str, deadline: float
              ) -> tuple[int, str, bytes, dict[str, str], str | None]:
        try:
            response = self._client.send(request, stream=True)
        except httpx.TimeoutException:
            raise FetchTimeoutError(f"timed out fetching {url}") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from None
        try:
            declared = response.headers.get("content-length", "")
            if _announced_bytes(declared) > self.max_response_bytes:
                raise ResponseTooLargeError(
                    f"{url} announces {declared} bytes, more than the {self.max_response_bytes} allowed")
            chunks: list[bytes] = []
            size = 0
            if response.status_code not in _REDIRECT_STATUSES:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_response_bytes:
                        raise ResponseTooLargeError(
                            f"{url} sent more than the {self.max_response_bytes} bytes allowed")
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise FetchTimeoutError(f"timed out reading {url}")
        except httpx.TimeoutException:
            raise FetchTimeoutError(f"timed out reading {url}") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot read {url}: {type(exc).__name__}: {exc}") from None
        finally:
            response.close()
        return (response.status_code, response.headers.get("content-type", ""), b"".join(chunks),
                dict(response.headers), response.headers.get("location"))


class DocumentCache:
    """A TTL cache shared between verifications, keyed by URL (plus the fetch policy).

    Holds whatever the verifier stores for a URL: a fetched issuer, badge class, key or revocation
    list, already parsed and validated. Thread-safe; least recently used entries go first.
    """

    def __init__(self, *, ttl: float = 300.0, max_entries: int = 4096,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._data: OrderedDict[tuple[str, str], tuple[float, Any]] = OrderedDict()

    def get(self, policy: str, url: str) -> Any | None:
        """The cached value, or ``None`` when absent or expired."""
        key = (policy, url)
        data = self._data
        # Reads take no lock (each OrderedDict operation is atomic; an entry another thread removed
        # meanwhile is simply not moved); removing an expired entry does, and only if it is still that one.
        hit = data.get(key)
        if hit is None:
            return None
        if hit[0] < self._clock():
            with self._lock:
                if data.get(key) is hit:
                    del data[key]
            return None
        try:
            data.move_to_end(key)
        except KeyError:
            pass
        return hit[1]

    def _serves_all(self, policy: str, entries: Iterable[tuple[str, Any]]) -> bool:
        """Whether the cache serves, for each ``(url, value)``, that very object (``get(policy, url) is value``,
        each entry touched as ``get`` touches it); stops at the first that it does not serve."""
        data, now = self._data, self._clock()
        for url, value in entries:
            key = (policy, url)
            hit = data.get(key)
            if hit is None or hit[1] is not value or hit[0] < now:  # get() removes an expired entry
                return False
            try:
                data.move_to_end(key)
            except KeyError:  # removed meanwhile
                pass
        return True

    def put(self, policy: str, url: str, value: Any) -> None:
        """Store ``value`` for ``url`` for ``ttl`` seconds."""
        if self.ttl <= 0:
            return
        with self._lock:
            self._data[(policy, url)] = (self._clock() + self.ttl, value)
            self._data.move_to_end((policy, url))
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)
