"""W3C Bitstring Status List: bit order, encodedList round trip, the spec's example, hostile lists, and
status list credentials that sign and verify with the bundled contexts."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import openbadges_core as ob
from openbadges_core import StatusListError, ob3
from openbadges_core.ob3 import BitstringStatusList

# The example encodedList of the W3C Bitstring Status List v1.0 recommendation: 131,072 zero bits.
SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def _raw(encoded: str) -> bytes:
    text = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def test_spec_example_decodes_to_an_empty_list_of_the_minimum_size() -> None:
    bits = BitstringStatusList.decode(SPEC_EXAMPLE)
    assert bits.size == ob._ob3._status.MIN_LIST_SIZE == 131_072
    assert not any(bits.get(i) for i in range(bits.size))


def test_index_zero_is_the_leftmost_bit_of_the_first_byte() -> None:
    bits = BitstringStatusList(16)
    bits.set(0)
    bits.set(9)
    raw = _raw(bits.encode())
    assert raw == bytes([0b1000_0000, 0b0100_0000])
    bits.set(0, False)
    assert _raw(bits.encode()) == bytes([0, 0b0100_0000])


def test_round_trip_keeps_every_bit() -> None:
    bits = BitstringStatusList()
    chosen = {0, 7, 8, 4242, 65_535, 131_071}
    bits.set_many(chosen)
    encoded = bits.encode()
    assert encoded.startswith("u") and "=" not in encoded
    again = BitstringStatusList.decode(encoded)
    assert {i for i in range(again.size) if again.get(i)} == chosen
    assert BitstringStatusList.decode(encoded[1:]).get(4242)  # bare base64url (older lists) is read too


def test_allocate_never_returns_a_taken_index() -> None:
    bits = BitstringStatusList(16)
    taken = set(range(15))
    assert bits.allocate(taken) == 15
    with pytest.raises(StatusListError):
        bits.allocate(set(range(16)))


@pytest.mark.parametrize("index", [-1, 131_072, 1.5, True, "3"])
def test_indexes_outside_the_list_are_refused(index: object) -> None:
    bits = BitstringStatusList()
    with pytest.raises(StatusListError):
        bits.get(index)  # type: ignore[arg-type]
    with pytest.raises(StatusListError):
        bits.set(index)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [0, -8, 7, 12])
def test_sizes_must_be_positive_multiples_of_eight(size: int) -> None:
    with pytest.raises(StatusListError):
        BitstringStatusList(size)


@pytest.mark.parametrize("encoded", [
    "", "u", "u!!!!", "uAAAA", "u" + base64.urlsafe_b64encode(b"not gzip at all").decode(),
    "u" + base64.urlsafe_b64encode(gzip.compress(bytes(64))[:-12]).decode(),  # truncated
    "u" + base64.urlsafe_b64encode(gzip.compress(b"")).decode(),  # empty
])
def test_malformed_lists_are_a_status_list_error(encoded: str) -> None:
    with pytest.raises(StatusListError) as info:
        BitstringStatusList.decode(encoded)
    assert info.value.code == "status_list_error"


def test_a_gzip_bomb_is_refused_without_inflating_it() -> None:
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(64 * 1024 * 1024))).decode().rstrip("=")
    assert len(bomb) < 200_000
    with pytest.raises(StatusListError, match="inflates"):
        BitstringStatusList.decode(bomb)
    with pytest.raises(StatusListError, match="inflates"):
        BitstringStatusList.decode(BitstringStatusList().encode(), max_bytes=1024)


def test_status_list_credential_signs_and_verifies_with_data_integrity() -> None:
    bits = BitstringStatusList()
    bits.set(99)
    key = Ed25519PrivateKey.generate()
    unsigned = ob3.status_list_credential("https://issuer.example.org/status/1", "https://issuer.example.org",
                                         bits, purpose="revocation", valid_from="2026-01-01T00:00:00Z",
                                         ttl_ms=300_000)
    assert unsigned["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = unsigned["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    assert subject["ttl"] == 300_000
    signed = ob3.sign_data_integrity(unsigned, key)  # every term is defined by the bundled VC 2.0 context
    assert ob3.verify_data_integrity(signed)
    assert BitstringStatusList.decode(signed["credentialSubject"]["encodedList"]).get(99)


def test_status_list_credential_refuses_small_lists_and_unknown_purposes() -> None:
    with pytest.raises(StatusListError, match="herd privacy"):
        ob3.status_list_credential("https://x.example/s", "https://x.example", BitstringStatusList(1024))
    with pytest.raises(StatusListError):
        ob3.status_list_credential("https://x.example/s", "https://x.example", BitstringStatusList(),
                                  purpose="deleted")


def test_status_list_entry_shape() -> None:
    entry = ob3.status_list_entry("https://x.example/s", 12, purpose="suspension")
    assert entry == {"id": "https://x.example/s#12", "type": "BitstringStatusListEntry",
                     "statusPurpose": "suspension", "statusListIndex": "12",
                     "statusListCredential": "https://x.example/s"}
    with pytest.raises(StatusListError):
        ob3.status_list_entry("https://x.example/s", -1)


def test_status_list_and_proof_moments_have_four_digit_years() -> None:
    """xsd:dateTime needs at least four year digits; strftime("%Y") wrote "5-01-01T00:00:00Z"."""
    unsigned = ob3.status_list_credential("https://issuer.example.org/status/1", "https://issuer.example.org",
                                         BitstringStatusList(), valid_from=datetime(5, 1, 1, tzinfo=UTC),
                                         valid_until=datetime(999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC))
    assert (unsigned["validFrom"], unsigned["validUntil"]) == ("0005-01-01T00:00:00Z", "0999-12-31T23:59:59Z")
    signed = ob3.sign_data_integrity(unsigned, Ed25519PrivateKey.generate(),
                                     created=datetime(998, 6, 1, 1, 2, 3, tzinfo=timezone(timedelta(hours=2))))
    assert signed["proof"]["created"] == "0998-05-31T23:02:03Z"
