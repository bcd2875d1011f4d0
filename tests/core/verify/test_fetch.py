"""The SSRF-safe fetcher against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator

import httpx
import pytest

from openbadges_core import DocumentCache, Fetcher, SafeFetcher
from openbadges_core._errors import (
    BlockedAddressError,
    FetchError,
    FetchTimeoutError,
    ResponseTooLargeError,
    TooManyRedirectsError,
)
from openbadges_core._verify._fetch import is_public_address
from tests.core.verify._badge_server import BadgeServer


@pytest.fixture
def fetcher() -> Iterator[SafeFetcher]:
    with SafeFetcher(allow_private_network=True, timeout=5.0, max_response_bytes=64 * 1024) as f:
        yield f


def test_safe_fetcher_is_a_fetcher() -> None:
    assert isinstance(SafeFetcher(), Fetcher)


def test_fetches_json_with_status_and_content_type(server: BadgeServer, fetcher: SafeFetcher) -> None:
    url = server.json("/doc", {"id": "x"})
    res = fetcher.fetch(url)
    assert res.status_code == 200
    assert res.media_type == "application/ld+json"
    assert res.json() == {"id": "x"}
    assert res.url == url and res.redirects == ()
    assert "application/ld+json" in server.headers_of("/doc")["Accept"]


def test_error_statuses_are_returned_not_raised(server: BadgeServer, fetcher: SafeFetcher) -> None:
    assert fetcher.fetch(server.url("/missing")).status_code == 404
    gone = server.json("/gone", {"revoked": True}, status=410)
    assert fetcher.fetch(gone).status_code == 410


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "100.127.255.254", "224.0.0.1", "0.0.0.0", "240.0.0.1", "255.255.255.255", "192.0.2.1",
    "::1", "::", "fe80::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:8.8.8.8", "::127.0.0.1",
    "64:ff9b::a00:1", "2002:7f00:1::1", "2001:db8::1", "fec0::1",
])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


def test_default_fetcher_refuses_loopback(server: BadgeServer) -> None:
    url = server.json("/secret", {"secret": 1})
    before = server.hits["/secret"]
    with pytest.raises(BlockedAddressError, match="non-public"):
        SafeFetcher().fetch(url)
    assert server.hits["/secret"] == before  # never connected


def test_default_fetcher_refuses_names_resolving_to_loopback(server: BadgeServer) -> None:
    with pytest.raises(BlockedAddressError):
        SafeFetcher().fetch(f"http://localhost:{server.port}/secret")


def test_default_fetcher_refuses_a_name_if_any_address_is_private() -> None:
    fetcher = SafeFetcher(resolver=lambda host, port: ["93.184.216.34", "10.0.0.7"])
    with pytest.raises(BlockedAddressError, match="10.0.0.7"):
        fetcher.fetch("https://badges.example/a")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/",
                                 "data:application/json,{}", "javascript:alert(1)"])
def test_only_http_and_https_are_fetched(url: str) -> None:
    with pytest.raises(BlockedAddressError, match="only http and https"):
        SafeFetcher(allow_private_network=True).fetch(url)


def test_connection_is_pinned_to_the_checked_address_with_the_host_kept(server: BadgeServer) -> None:
    calls: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    server.json("/pinned", {"ok": True})
    with SafeFetcher(allow_private_network=True, resolver=resolver) as f:
        res = f.fetch(f"http://badges.test:{server.port}/pinned")
    assert res.json() == {"ok": True}
    assert calls == ["badges.test"]  # resolved once, by us
    assert server.headers_of("/pinned")["Host"] == f"badges.test:{server.port}"
    assert res.url == f"http://badges.test:{server.port}/pinned"


def test_redirects_are_followed_and_recorded(server: BadgeServer, fetcher: SafeFetcher) -> None:
    final = server.json("/r/final", {"n": 1})
    server.redirect("/r/2", "/r/final", status=301)
    start = server.redirect("/r/1", server.url("/r/2"))
    res = fetcher.fetch(start)
    assert res.url == final and res.json() == {"n": 1}
    assert res.redirects == (start, server.url("/r/2"))


def test_redirect_loops_are_detected(server: BadgeServer, fetcher: SafeFetcher) -> None:
    server.redirect("/loop/a", "/loop/b")
    server.redirect("/loop/b", "/loop/a")
    with pytest.raises(TooManyRedirectsError, match="loop"):
        fetcher.fetch(server.url("/loop/a"))


def test_redirect_count_is_bounded(server: BadgeServer) -> None:
    for i in range(6):
        server.redirect(f"/chain/{i}", f"/chain/{i + 1}")
    server.json("/chain/6", {})
    with (SafeFetcher(allow_private_network=True, max_redirects=3) as f,
          pytest.raises(TooManyRedirectsError, match="more than 3")):
        f.fetch(server.url("/chain/0"))
    with SafeFetcher(allow_private_network=True, max_redirects=6) as f:
        assert f.fetch(server.url("/chain/0")).status_code == 200


@pytest.mark.parametrize("target", ["http://10.1.2.3/x", "http://169.254.169.254/latest/meta-data/",
                                    "http://[::1]:9/x", "http://127.0.0.2:9/x"])
def test_redirect_into_private_network_is_refused(server: BadgeServer, target: str) -> None:
    # only 127.0.0.1 is allowed explicitly; every hop is checked again
    server.redirect("/to-private", target)
    with SafeFetcher(allowed_networks=["127.0.0.1/32"]) as f:
        assert f.fetch(server.json("/allowed", {})).status_code == 200
        with pytest.raises(BlockedAddressError):
            f.fetch(server.url("/to-private"))


def test_redirect_to_another_scheme_is_refused(server: BadgeServer, fetcher: SafeFetcher) -> None:
    server.redirect("/to-file", "file:///etc/passwd")
    with pytest.raises(BlockedAddressError):
        fetcher.fetch(server.url("/to-file"))


def test_declared_oversized_response_is_cut_off(server: BadgeServer, fetcher: SafeFetcher) -> None:
    url = server.route("/big", body=b"x" * (65 * 1024))
    with pytest.raises(ResponseTooLargeError):
        fetcher.fetch(url)


def _answering(fetcher: SafeFetcher, content_length: str | bytes, body: bytes) -> SafeFetcher:
    """``fetcher`` with its HTTP client swapped for one whose every response announces ``content_length``
    as given (h11 refuses such a header, so no real server on this machine can send it; httpx decodes header
    bytes as UTF-8, else Latin-1)."""
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=[("content-type", "application/json"),
                                            ("content-length", content_length)], stream=httpx.ByteStream(body))
    fetcher._client.close()
    fetcher._client = httpx.Client(transport=httpx.MockTransport(answer))
    return fetcher


@pytest.mark.parametrize("length", ["²".encode("latin-1"), "٣".encode(), "+2", " 2", "-1", "1_0"])
def test_a_content_length_not_in_ascii_digits_is_not_read_as_a_size(fetcher: SafeFetcher,
                                                                     length: str | bytes) -> None:
    """"²".isdigit() holds and int("²") raises (the verifier crashed with a ValueError); "٣" read as 3. The body
    is still capped as it streams."""
    assert _answering(fetcher, length, b"{}").fetch("http://127.0.0.1:9/doc").body == b"{}"
    with pytest.raises(ResponseTooLargeError):
        _answering(fetcher, length, b"x" * (65 * 1024)).fetch("http://127.0.0.1:9/doc")


@pytest.mark.parametrize("length", ["9" * 5000, "0" * 5000 + "9" * 30, str(64 * 1024 + 1)])
def test_a_huge_content_length_is_too_large(fetcher: SafeFetcher, length: str) -> None:
    with pytest.raises(ResponseTooLargeError, match="announces"):  # 5,000 digits: int() raised ValueError
        _answering(fetcher, length, b"{}").fetch("http://127.0.0.1:9/doc")


def test_endless_response_is_cut_off_while_streaming(server: BadgeServer, fetcher: SafeFetcher) -> None:
    url = server.route("/endless", infinite=True)
    start = time.monotonic()
    with pytest.raises(ResponseTooLargeError):
        fetcher.fetch(url)
    assert time.monotonic() - start < 3


def test_slow_response_times_out(server: BadgeServer) -> None:
    url = server.route("/slow", body=b"{}", delay=3.0)
    start = time.monotonic()
    with SafeFetcher(allow_private_network=True, timeout=0.5) as f, pytest.raises(FetchTimeoutError):
        f.fetch(url)
    assert time.monotonic() - start < 2


def test_dripping_body_is_bounded_by_the_time_budget(server: BadgeServer) -> None:
    url = server.route("/drip", body=b"{" + b" " * 200 + b"}", drip=0.05)
    start = time.monotonic()
    with SafeFetcher(allow_private_network=True, timeout=0.6) as f, pytest.raises(FetchTimeoutError):
        f.fetch(url)
    assert time.monotonic() - start < 2


def test_caller_deadline_shortens_the_timeout(server: BadgeServer, fetcher: SafeFetcher) -> None:
    url = server.route("/slow2", body=b"{}", delay=2.0)
    start = time.monotonic()
    with pytest.raises(FetchTimeoutError):
        fetcher.fetch(url, timeout=0.3)
    assert time.monotonic() - start < 1.5


def test_unreachable_port_is_a_fetch_error(fetcher: SafeFetcher) -> None:
    with pytest.raises(FetchError):
        fetcher.fetch("http://127.0.0.1:1/x")


def test_document_cache_expires_after_ttl() -> None:
    now = [0.0]
    cache = DocumentCache(ttl=10, clock=lambda: now[0])
    cache.put("public", "https://a/issuer", {"id": 1})
    assert cache.get("public", "https://a/issuer") == {"id": 1}
    assert cache.get("private", "https://a/issuer") is None  # keyed by policy too
    now[0] = 11
    assert cache.get("public", "https://a/issuer") is None


def test_document_cache_evicts_least_recently_used() -> None:
    cache = DocumentCache(ttl=10, max_entries=2)
    cache.put("p", "a", 1)
    cache.put("p", "b", 2)
    cache.get("p", "a")
    cache.put("p", "c", 3)
    assert cache.get("p", "b") is None and cache.get("p", "a") == 1 and len(cache) == 2


def test_slow_name_resolution_is_bounded_by_the_timeout() -> None:
    def slow_resolver(host: str, port: int) -> list[str]:
        time.sleep(2)
        return ["127.0.0.1"]

    start = time.monotonic()
    with SafeFetcher(allow_private_network=True, timeout=0.3, resolver=slow_resolver) as f, \
            pytest.raises(FetchTimeoutError, match="resolving"):
        f.fetch("http://slow-dns.test/x")
    assert time.monotonic() - start < 1.5
