"""A tiny BadgeKit client for the tests: signs each request as BadgeKit's client libraries do
(``Authorization: JWT token="<HS256 JWT>"`` with key, exp, method, path and the body's sha256)."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import jwt
from conftest import run_store
from litestar.testing import TestClient

from hosting import Settings
from hosting.badgekit.auth import create_key
from hosting.storage.store import HostingStore


def new_key(settings: Settings, name: str | None = None, system: str | None = None) -> tuple[str, str]:
    name = name or f"k-{secrets.token_hex(4)}"

    async def _make(store: HostingStore) -> str:
        return await create_key(store.session, store.keybox, name, system)

    return name, run_store(settings, _make)


def sign(key_name: str, secret: str, method: str, path: str, raw_body: bytes | None = None, *,
         exp: float | None = None, **override: Any) -> str:
    claims: dict[str, Any] = {"key": key_name, "exp": int(exp if exp is not None else time.time() + 60),
                              "method": method, "path": path}
    if method in ("POST", "PUT"):
        claims["body"] = {"alg": "sha256", "hash": hashlib.sha256(raw_body or b"").hexdigest()}
    claims.update(override)
    claims = {k: v for k, v in claims.items() if v is not None}
    return f'JWT token="{jwt.encode(claims, secret, algorithm="HS256")}"'


class BadgeKit:
    def __init__(self, client: TestClient[Any], key: str, secret: str) -> None:
        self.client, self.key, self.secret = client, key, secret

    def request(self, method: str, path: str, *, json_body: Any = None, form: dict[str, str] | None = None,
                files: dict[str, Any] | None = None, **claims: Any) -> Any:
        headers: dict[str, str] = {}
        content: bytes | None = None
        if json_body is not None:
            content = json.dumps(json_body).encode()
            headers["content-type"] = "application/json"
        elif form is not None and files is None:
            content = urlencode(form).encode()
            headers["content-type"] = "application/x-www-form-urlencoded"
        elif files is not None:
            fields = {**(form or {}), **files}
            boundary = "bk" + secrets.token_hex(8)
            content = _multipart(fields, boundary)
            headers["content-type"] = f"multipart/form-data; boundary={boundary}"
        headers["authorization"] = sign(self.key, self.secret, method, path, content, **claims)
        return self.client.request(method, path, content=content, headers=headers)

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)


def check_deleted(bk: BadgeKit, path: str, kind: str, record: dict[str, Any]) -> None:
    """DELETE ``path`` answers the record as it was; then it is a ``ResourceNotFound`` naming its slug."""
    res = bk.delete(path)
    assert res.status_code == 200 and res.json() == {"status": "deleted", kind: record}, res.text
    missing = bk.get(path)
    assert missing.status_code == 404
    assert missing.json() == {"code": "ResourceNotFound",
                              "message": f"Could not find {kind} field: `slug`, value: `{record['slug']}`"}
    again = bk.delete(path)
    assert again.status_code == 404 and again.json()["code"] == "ResourceNotFound"
    if kind == "badge":  # the badges seed words DELETE's 404 its own way
        assert again.json()["message"] == f"Could not find badge with slug `{record['slug']}`"


def _multipart(fields: dict[str, Any], boundary: str) -> bytes:
    out = b""
    for name, value in fields.items():
        if isinstance(value, tuple):
            filename, data, ctype = value
            out += (f'--{boundary}\r\ncontent-disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    f"content-type: {ctype}\r\n\r\n").encode() + data + b"\r\n"
        else:
            out += f'--{boundary}\r\ncontent-disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    return out + f"--{boundary}--\r\n".encode()


class AppFetcher:
    """An ``ob.Fetcher`` answering from the app in-process (what a verifier on the network would get)."""

    def __init__(self, client: TestClient[Any], base_url: str = "http://testserver.local") -> None:
        self.client, self.base_url = client, base_url

    def fetch(self, url: str, *, accept: str = "application/ld+json", timeout: float | None = None) -> Any:
        import openbadges_core as ob

        assert url.startswith(self.base_url), url
        res = self.client.get(url.removeprefix(self.base_url), headers={"Accept": accept}, follow_redirects=False)
        return ob.FetchResponse(url, res.status_code, res.headers.get("content-type", ""), res.content,
                                headers=dict(res.headers))
