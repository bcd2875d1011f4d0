"""The public surface: three modules by spec version, every public name with one home."""

from __future__ import annotations

import pickle
from types import FunctionType, ModuleType

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import openbadges_core as ob
from openbadges_core import ob2, ob3
from openbadges_core._ob3._didkeys import resolve_ed25519_key

MODULES: tuple[ModuleType, ...] = (ob, ob2, ob3)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_public_class_and_function_names_its_public_home(module: ModuleType) -> None:
    assert len(module.__all__) == len(set(module.__all__))
    labelled = 0
    for name in module.__all__:
        obj = getattr(module, name)
        if isinstance(obj, (type, FunctionType)):
            assert obj.__module__ == module.__name__, name
            labelled += 1
    assert labelled >= 20


def test_a_name_is_public_in_one_module_only_unless_the_specs_differ() -> None:
    shared = set(ob2.__all__) & set(ob3.__all__)
    assert shared == {"Alignment", "Criteria", "Evidence", "IdentityObject", "Image"}
    for name in shared:  # OB 3.0's own classes, no longer shadowed by OB 2.0's
        assert getattr(ob2, name) is not getattr(ob3, name)
    assert not set(ob.__all__) & (set(ob2.__all__) | set(ob3.__all__))
    assert not hasattr(ob, "Assertion") and not hasattr(ob, "OpenBadgeCredential")


def test_ob3_image_is_the_ob3_class_and_round_trips() -> None:
    image = ob3.Image(id="https://example.org/badge.png", caption="a badge")
    assert repr(image).startswith("Image(") and type(image).__module__ == "openbadges_core.ob3"
    assert image.to_dict()["type"] == "Image"
    assert pickle.loads(pickle.dumps(image)) == image


def test_contexts_are_public_constants() -> None:
    assert ob2.OB2_CONTEXT == "https://w3id.org/openbadges/v2"
    assert ob3.VC2_CONTEXT == "https://www.w3.org/ns/credentials/v2"
    assert ob3.OB3_CONTEXT in ob3.BUNDLED_CONTEXTS and ob3.VC2_CONTEXT in ob3.BUNDLED_CONTEXTS


# --- did:key ---------------------------------------------------------------------------------------
def test_did_key_of_a_private_key_resolves_back_to_its_public_key() -> None:
    key = ob.generate_key("EdDSA")
    did = ob3.did_key(key)
    raw = key.public_key.cryptography_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert did.startswith("did:key:z6Mk")
    assert did == ob3.did_key(key.public_key) == ob3.did_key(key.cryptography_key)
    assert resolve_ed25519_key(did) == raw
    assert resolve_ed25519_key(f"{did}#{did.removeprefix('did:key:')}") == raw


def test_did_key_signs_a_credential_that_verifies_without_a_fetcher() -> None:
    key = Ed25519PrivateKey.generate()
    did = ob3.did_key(key)
    credential = ob3.OpenBadgeCredential(
        id="urn:uuid:0b1e5e4e-6d9d-4c0a-9f3e-2f1e0d9c8b7a", issuer=ob3.Profile(id=did, name="Issuer"),
        valid_from="2024-01-01T00:00:00Z", name="Badge",
        credential_subject=ob3.AchievementSubject(
            id="did:example:ada", achievement=ob3.Achievement(
                id="https://example.org/a/1", name="A", description="d", criteria=ob3.Criteria(narrative="n"))),
    ).to_dict()
    signed = ob3.sign_data_integrity(credential, key, verification_method=f"{did}#{did.removeprefix('did:key:')}")
    (proof,) = ob3.verify_data_integrity(signed)
    assert proof.issuer_bound and proof.verification_method.startswith(did)


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_did_key_refuses_keys_other_than_ed25519(alg: str) -> None:
    with pytest.raises(ob.UnsupportedAlgorithmError):
        ob3.did_key(ob.generate_key(alg))


# --- one protocol per extension point ----------------------------------------------------------------
def test_the_default_fetcher_and_private_keys_satisfy_the_protocols() -> None:
    with ob.SafeFetcher() as fetcher:
        assert isinstance(fetcher, ob.Fetcher)
    assert isinstance(ob.generate_key("EdDSA"), ob.Signer)
