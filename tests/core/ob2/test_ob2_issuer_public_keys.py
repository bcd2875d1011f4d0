"""OB 2.0 Issuer ``publicKey``: one key or a list ("the key(s) an issuer uses"), round-tripped as written."""

from __future__ import annotations

from openbadges_core import ob2

ISSUER = {"@context": ob2.OB2_CONTEXT, "type": "Issuer", "id": "https://issuer.example.org/i", "name": "I",
          "url": "https://issuer.example.org/", "email": "badges@issuer.example.org"}
K1, K2 = "https://issuer.example.org/k1", "https://issuer.example.org/k2"


def test_a_list_of_keys_is_valid_and_round_trips() -> None:
    doc = {**ISSUER, "publicKey": [K1, K2]}
    assert ob2.document_issues(doc, kind="Issuer") == []
    issuer = ob2.Issuer.from_dict(doc)
    assert issuer.public_key == (K1, K2)
    assert issuer.to_dict()["publicKey"] == [K1, K2]


def test_one_key_stays_one_value() -> None:
    assert ob2.Issuer.from_dict({**ISSUER, "publicKey": K1}).to_dict()["publicKey"] == K1
    built = ob2.Issuer(id=ISSUER["id"], name="I", url=ISSUER["url"], email=ISSUER["email"], public_key=K1)
    assert built.public_key == (K1,) and built.to_dict()["publicKey"] == K1


def test_each_listed_key_is_checked() -> None:
    found = {(i.path, i.rule) for i in ob2.document_issues({**ISSUER, "publicKey": [K1, "not an iri"]},
                                                          kind="Issuer")}
    assert found == {("publicKey[1]", "iri")}
