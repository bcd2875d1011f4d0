"""``/v1/issuers/{issuer}/keys``: an issuer's signing keys — create (RS256 default, ES256), list, read, retire.

Owners and editors create and retire keys; staff can read them. A retired key is no longer used for new
signatures (``HostingStore.issue`` signs with the newest active key) but stays published — its key document
and its place in the Issuer Profile's ``publicKey`` — so assertions signed with it keep verifying.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.deps import Caller, Db, Hosting, Store
from hosting.api.lookup import EDIT_ROLES, find_issuer, require_role
from hosting.api.openapi import api_doc, changed, envelope
from hosting.app.state import HostingState
from hosting.lib.body import read_body
from hosting.lib.convert import convert
from hosting.lib.errors import Conflict, NotFound
from hosting.lib.ids import is_public_id
from hosting.lib.times import iso
from hosting.storage.models import Issuer, KeyState, SigningKey

__all__ = ["Key", "KeyInput", "KeysController", "key_json"]

class Key(msgspec.Struct):
    """A signing key: ``id`` is its public id, ``publicUrl`` its public key document."""

    id: str
    alg: str
    kid: str
    state: Literal["active", "retired"]
    createdAt: str
    retiredAt: str | None
    publicUrl: str
    publicKeyPem: str


class KeyInput(msgspec.Struct, forbid_unknown_fields=True):
    """Create a key: ``alg`` RS256 (default) or ES256."""

    # OB 2.0 signed assertions (JWS) use these; EdDSA keys are made for OB 3.0 proofs

    alg: Literal["RS256", "ES256"] = "RS256"


class KeyPage(msgspec.Struct):
    keys: list[Key]


def key_json(key: SigningKey, state: HostingState) -> dict[str, Any]:
    return {
        "id": key.public_id,
        "alg": key.alg,
        "kid": key.kid,
        "state": key.state,
        "createdAt": iso(key.created_at),
        "retiredAt": iso(key.retired_at),
        "publicUrl": state.urls.key(key.public_id),
        "publicKeyPem": key.public_key_pem,
    }



async def _find_key(session: AsyncSession, issuer: Issuer, ref: str) -> SigningKey:
    if not is_public_id(ref):
        raise NotFound("no such key")
    key = await session.scalar(select(SigningKey).where(SigningKey.issuer_id == issuer.id,
                                                        SigningKey.public_id == ref))
    if key is None:
        raise NotFound("no such key")
    return key


class KeysController(Controller):
    path = "/issuers/{issuer_ref:str}/keys"
    tags = ["keys"]  # noqa: RUF012 - Litestar reads these class attributes
    opt = {"write_scope": "issuer:write"}  # noqa: RUF012 - reads need issuer:read (hosting/api/auth.py)

    @get("/", **api_doc(KeyPage, errors=(404,)))
    async def list_keys(self, db_session: Db, principal: Caller,
                        hosting: Hosting, issuer_ref: FromPath[str]) -> dict[str, Any]:
        """The issuer's keys, oldest first (active and retired)."""
        issuer, _ = await find_issuer(db_session, principal, issuer_ref)
        keys = (await db_session.scalars(
            select(SigningKey).where(SigningKey.issuer_id == issuer.id).order_by(SigningKey.id))).all()
        return {"keys": [key_json(key, hosting) for key in keys]}

    @post("/", status_code=201, **api_doc(changed("key", Key), status=201, body=KeyInput, body_required=False,
                                          errors=(404,)))
    async def create_key(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                         hosting: Hosting, store: Store, issuer_ref: FromPath[str]) -> dict[str, Any]:
        """A new active key (owners and editors); new signed assertions use the newest active key."""
        issuer, role = await find_issuer(db_session, principal, issuer_ref)
        require_role(principal, role, EDIT_ROLES, "managing keys")
        key = await store.create_key(issuer, convert(await read_body(request), KeyInput).alg)
        return {"status": "created", "key": key_json(key, hosting)}

    @get("/{key_ref:str}", **api_doc(envelope("key", Key), errors=(404,)))
    async def get_key(self, db_session: Db, principal: Caller,
                      hosting: Hosting, issuer_ref: FromPath[str], key_ref: FromPath[str]) -> dict[str, Any]:
        issuer, _ = await find_issuer(db_session, principal, issuer_ref)
        return {"key": key_json(await _find_key(db_session, issuer, key_ref), hosting)}

    @post("/{key_ref:str}/retire", status_code=200, **api_doc(changed("key", Key, struct_name="KeyRetired"),
                                                              errors=(404, 409)))
    async def retire_key(self, db_session: Db, principal: Caller,
                         hosting: Hosting, store: Store, issuer_ref: FromPath[str],
                         key_ref: FromPath[str]) -> dict[str, Any]:
        """Stop signing with the key (owners and editors); it stays published so old signatures verify."""
        issuer, role = await find_issuer(db_session, principal, issuer_ref)
        require_role(principal, role, EDIT_ROLES, "managing keys")
        key = await _find_key(db_session, issuer, key_ref)
        if key.state == KeyState.RETIRED:
            raise Conflict("the key is already retired", details=[
                {"resource": "key", "field": "state", "message": "already retired", "value": key.state}])
        await store.retire_key(key)
        return {"status": "retired", "key": key_json(key, hosting)}


ROUTE_HANDLERS: list[Any] = [KeysController]
