"""The public URL of every hosted resource (these URLs are also the documents' ``id`` values)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PublicUrls"]


@dataclass(frozen=True, slots=True)
class PublicUrls:
    base: str

    def issuer(self, public_id: str) -> str:
        return f"{self.base}/public/issuers/{public_id}"

    def issuer_image(self, public_id: str) -> str:
        return f"{self.base}/public/issuers/{public_id}/image"

    def revocations(self, issuer_public_id: str) -> str:
        return f"{self.base}/public/issuers/{issuer_public_id}/revocations"

    def badge(self, public_id: str) -> str:
        return f"{self.base}/public/badges/{public_id}"

    def badge_image(self, public_id: str) -> str:
        return f"{self.base}/public/badges/{public_id}/image"

    def assertion(self, public_id: str) -> str:
        return f"{self.base}/public/assertions/{public_id}"

    def assertion_image(self, public_id: str) -> str:
        return f"{self.base}/public/assertions/{public_id}/image"

    def key(self, public_id: str) -> str:
        return f"{self.base}/public/keys/{public_id}"

    # Open Badges 3.0
    def achievement(self, badge_public_id: str) -> str:
        return f"{self.base}/public/badges/{badge_public_id}/achievement"

    def credential(self, public_id: str) -> str:
        return f"{self.base}/public/credentials/{public_id}"

    def credential_jwt(self, public_id: str) -> str:
        return f"{self.base}/public/credentials/{public_id}/jwt"

    def credential_image(self, public_id: str) -> str:
        return f"{self.base}/public/credentials/{public_id}/image"

    def status_list(self, issuer_public_id: str) -> str:
        return f"{self.base}/public/issuers/{issuer_public_id}/status/revocation"

    def did_document(self, issuer_public_id: str) -> str:
        return f"{self.base}/public/issuers/{issuer_public_id}/did.json"

    def profile(self, issuer_public_id: str) -> str:
        return f"{self.base}/public/issuers/{issuer_public_id}/profile"

    # The earner's pages (hosting/earners)
    def accept(self, token: str) -> str:
        return f"{self.base}/accept/{token}"

    def claim(self, badge_public_id: str, code: str) -> str:
        """A claim code's page: codes are unique per badge class, so the URL names it (``/claim/{code}`` alone
        is the legacy form, see :func:`hosting.earners.codes.find_legacy_code`)."""
        return f"{self.base}/claim/{badge_public_id}/{code}"
