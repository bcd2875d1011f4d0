"""A small Open Badges 2.0 world (issuer, badge class, key, revocation list, assertions) published on
a :class:`BadgeServer` at 127.0.0.1, for verifier tests and the benchmark."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

from tests.core.verify._badge_server import BadgeServer

OB2 = "https://w3id.org/openbadges/v2"
RECIPIENT = "alice@example.org"
SALT = "pepper"
HASHED_RECIPIENT = "sha256$" + hashlib.sha256((RECIPIENT + SALT).encode()).hexdigest()

_counter = itertools.count(1)


def failed(report: Any) -> dict[str, str]:
    """The failed checks of a :class:`~openbadges_core.VerificationReport`: name -> level."""
    return {c.name: c.level for c in report.checks if not c.passed}


class BadgeWorld:
    """Publishes documents under a unique prefix so tests sharing one server never collide."""

    def __init__(self, server: BadgeServer, key: Any = None, *, prefix: str | None = None) -> None:
        self.srv = server
        self.key = key
        self.prefix = prefix or f"/w{next(_counter)}"
        self.issuer_url = self.url("/issuer")
        self.badge_url = self.url("/badge")
        self.key_url = self.url("/key")
        self.revocations_url = self.url("/revocations")

    def url(self, path: str) -> str:
        return self.srv.url(self.prefix + path)

    def path(self, url: str) -> str:
        return url[len(self.srv.base):]

    def publish(self, url: str, document: Any, **kwargs: Any) -> str:
        return self.srv.json(self.path(url), document, **kwargs)

    # -- documents ----------------------------------------------------------------------------------
    def issuer(self, **over: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {"@context": OB2, "type": "Issuer", "id": self.issuer_url,
                               "name": "Example University", "url": "https://example.org",
                               "email": "badges@example.org"}
        if self.key is not None:
            doc["publicKey"] = self.key_url
            doc["revocationList"] = self.revocations_url
        doc.update(over)
        return {k: v for k, v in doc.items() if v is not None}

    def badge(self, **over: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {"@context": OB2, "type": "BadgeClass", "id": self.badge_url,
                               "name": "Robotics", "description": "Built a robot.",
                               "image": "https://example.org/robotics.png",
                               "criteria": {"narrative": "Build a robot."}, "issuer": self.issuer_url}
        doc.update(over)
        return {k: v for k, v in doc.items() if v is not None}

    def key_document(self, **over: Any) -> dict[str, Any]:
        assert self.key is not None
        doc: dict[str, Any] = {"@context": OB2, "type": "CryptographicKey", "id": self.key_url,
                               "owner": self.issuer_url,
                               "publicKeyPem": self.key.public_key.to_pem().decode()}
        doc.update(over)
        return {k: v for k, v in doc.items() if v is not None}

    def revocation_list(self, revoked: Any = None) -> dict[str, Any]:
        return {"@context": OB2, "type": "RevocationList", "id": self.revocations_url,
                "issuer": self.issuer_url, "revokedAssertions": [] if revoked is None else revoked}

    def publish_defaults(self) -> BadgeWorld:
        self.publish(self.issuer_url, self.issuer())
        self.publish(self.badge_url, self.badge())
        if self.key is not None:
            self.publish(self.key_url, self.key_document())
            self.publish(self.revocations_url, self.revocation_list())
        return self

    def assertion(self, name: str = "a1", *, signed: bool = False, **over: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "@context": OB2, "type": "Assertion",
            "id": f"urn:uuid:2f1d6c3e-0000-4000-8000-{next(_counter):012d}" if signed
            else self.url(f"/assertions/{name}"),
            "recipient": {"type": "email", "hashed": True, "salt": SALT, "identity": HASHED_RECIPIENT},
            "badge": self.badge_url, "issuedOn": "2024-01-15T10:00:00Z",
            "verification": ({"type": "SignedBadge", "creator": self.key_url} if signed
                             else {"type": "HostedBadge"}),
        }
        doc.update(over)
        return {k: v for k, v in doc.items() if v is not None}

    def hosted(self, name: str = "a1", **over: Any) -> tuple[str, dict[str, Any]]:
        """Publish a hosted assertion at ``/assertions/<name>``; (url, document)."""
        doc = self.assertion(name, **over)
        return self.publish(self.url(f"/assertions/{name}"), doc), doc

    def signed(self, signer: Any = None, **over: Any) -> str:
        from openbadges_core import sign_assertion

        return sign_assertion(self.assertion(signed=True, **over), signer or self.key)
