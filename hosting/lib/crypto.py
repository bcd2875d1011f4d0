"""Encryption at rest of issuers' private keys (Fernet; key derived from the settings secret)."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["KeyBox", "KeyBoxError"]


class KeyBoxError(RuntimeError):
    """A stored private key cannot be decrypted with the configured secret."""


class KeyBox:
    """Encrypts and decrypts private-key PEM bytes with a key derived from ``secret``."""

    def __init__(self, secret: str) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"openbadges-hosting", info=b"private-key-encryption"
        ).derive(secret.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, plaintext: bytes) -> bytes:
        return self._fernet.encrypt(plaintext)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise KeyBoxError("stored private key cannot be decrypted: wrong OPENBADGES_SECRET_KEY?") from exc
