"""Images and payloads for the baking tests, generated on the fly (no binary fixtures)."""

from __future__ import annotations

import io
import json
import struct
import zlib
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image

from tests.core.ob2._ob2_builders import make_assertion

OB2_URL = "https://example.org/assertions/123"
OB2_ASSERTION: dict[str, Any] = make_assertion(id=OB2_URL).to_dict()
OB3_CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2",
                 "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
    "id": "https://example.org/credentials/3527",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "https://example.org/issuers/1", "type": ["Profile"], "name": "Example — Ünïcode"},
    "validFrom": "2024-01-01T00:00:00Z",
    "name": "Teamwork",
    "credentialSubject": {"type": ["AchievementSubject"],
                          "achievement": {"id": "https://example.org/a/1", "type": ["Achievement"],
                                          "name": "Teamwork", "criteria": {"narrative": "x ]]> y"}}},
}

_KEY = ec.generate_private_key(ec.SECP256R1())
OB2_JWS = jwt.encode(OB2_ASSERTION, _KEY, algorithm="ES256")
OB3_JWT = jwt.encode({"iss": "https://example.org/issuers/1", "vc": OB3_CREDENTIAL}, _KEY, algorithm="ES256")

# (name, payload, expected version, expected kind)
PAYLOADS: list[tuple[str, str, str, str]] = [
    ("ob2-json", json.dumps(OB2_ASSERTION), "2.0", "json"),
    ("ob2-url", OB2_URL, "2.0", "url"),
    ("ob2-jws", OB2_JWS, "2.0", "jws"),
    ("ob3-json", json.dumps(OB3_CREDENTIAL, ensure_ascii=False), "3.0", "json"),
    ("ob3-jwt", OB3_JWT, "3.0", "jws"),
]


def make_png(width: int = 64, height: int = 64, *, noise: bool = False) -> bytes:
    """A real PNG written by Pillow; ``noise`` makes it incompressible (size ~ width*height*3)."""
    if noise:
        import random

        rnd = random.Random(width * 7919 + height)
        img = Image.frombytes("RGB", (width, height), rnd.randbytes(width * height * 3))
    else:
        img = Image.new("RGBA", (width, height), (200, 30, 90, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG", pnginfo=_info())
    return buf.getvalue()


def _info() -> Any:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "made for openbadges tests")
    return info


def chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of every chunk, checked with pypng (an independent reader)."""
    import png as pypng

    return [(bytes(t), bytes(b)) for t, b in pypng.Reader(bytes=png).chunks()]


def insert_after_ihdr(png: bytes, raw_chunk: bytes) -> bytes:
    return png[:33] + raw_chunk + png[33:]


def insert_before_iend(png: bytes, raw_chunk: bytes) -> bytes:
    return png[:-12] + raw_chunk + png[-12:]


SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
       b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10">\n'
       b'  <title>A badge</title>\n'
       b'  <circle cx="5" cy="5" r="4" fill="#c03"/>\n'
       b'</svg>\n')
