"""``openbadges validate FILE.json`` (an OB 2.0 document) and ``openbadges sign`` (OB 2.0 JWS, OB 3.0 VC-JWT
or Data Integrity)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from openbadges_core._cli import CheckFailed
from openbadges_core._cli._keys import _MAX_KEY_FILE, _fail_with_issues, _passphrase, _read_limited
from openbadges_core._errors import ParseError, ValidationError
from openbadges_core._json import loads as json_loads
from openbadges_core._ob2._model import decode_json
from openbadges_core._ob2._validation import detect_kind, document_issues

_MAX_INPUT = 16 * 1024 * 1024
_KINDS = ["Assertion", "BadgeClass", "Issuer", "Profile", "CryptographicKey", "RevocationList"]


def _read(path: str) -> bytes:
    return _read_limited(path, _MAX_INPUT)


def _ob3_credential(raw: bytes) -> dict[str, Any] | None:
    """The OB 3.0 credential in ``raw`` (JSON, or a VC-JWT whose payload is read without verifying), else None."""
    from openbadges_core._errors import OpenBadgesError
    from openbadges_core._jws import decode_jws_unverified
    from openbadges_core._verify._ob3_sources import is_ob3

    text = raw.strip()
    if text.count(b".") == 2 and not text.startswith(b"{"):
        try:
            _header, payload = decode_jws_unverified(text.decode("ascii"))
            data = json.loads(payload)
        except (OpenBadgesError, UnicodeDecodeError, ValueError):
            return None
        if isinstance(data, dict) and isinstance(data.get("vc"), dict):
            return dict(data["vc"])
        return {k: v for k, v in data.items() if k not in ("iss", "jti", "sub", "nbf", "exp", "iat", "aud")} \
            if isinstance(data, dict) and is_ob3(data) else None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) and is_ob3(data) else None


def _ob3_kind(credential: dict[str, Any]) -> str:
    types = credential.get("type")
    types = types if isinstance(types, list) else [types]
    return "EndorsementCredential" if "EndorsementCredential" in types else "AchievementCredential"


@click.command("validate")
@click.argument("file", metavar="FILE.json|FILE.jwt", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--kind", type=click.Choice(_KINDS), default=None,
              help="OB 2.0 document type to validate as (default: detected from its 'type').")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report instead of text lines.")
def validate_command(file: str, kind: str | None, as_json: bool) -> None:
    """Validate an Open Badges 2.0 document (Assertion, BadgeClass, Issuer, CryptographicKey, RevocationList)
    or an Open Badges 3.0 credential (JSON, or a VC-JWT: its payload; the signature is not checked).

    Prints one line per broken rule ("path: message [rule]"). FILE may be '-' for stdin.
    Exit status: 0 valid, 1 invalid, 2 unreadable or not JSON.
    """
    from openbadges_core._ob3._rules import credential_rule_issues

    raw = _read(file)
    credential = _ob3_credential(raw) if kind is None else None
    if credential is not None:
        data: dict[str, Any] = credential
        issues = credential_rule_issues(credential)
        detected = f"OB 3.0 {_ob3_kind(credential)}"
    else:
        try:
            data = decode_json(raw)
        except ParseError as exc:
            raise ParseError(f"{'stdin' if file == '-' else file}: {exc.issues[0].message}", exc.issues) from None
        issues = document_issues(data, kind=kind)
        detected = kind or detect_kind(data) or "document"
    if as_json:
        report = {"valid": not issues, "kind": detected, "id": data.get("id"),
                  "issues": [i.to_dict() for i in issues]}
        click.echo(json.dumps(report, indent=2))
    else:
        for issue in issues:
            click.echo(str(issue))
    if issues:
        raise CheckFailed(f"invalid {detected}: {len(issues)} issue{'s' if len(issues) != 1 else ''}")
    if not as_json:
        click.echo(f"valid {detected}: {data.get('id', '(no id)')}")
    sys.stdout.flush()


SIGN_FORMATS = ("ob2", "vc-jwt", "di")


def read_json_object(path: str, what: str) -> dict[str, Any]:
    """The JSON object in file ``path`` ('-' for stdin); :class:`ParseError` when it is not one."""
    return json_object(_read(path), "stdin" if path == "-" else path, what)


def json_object(raw: bytes, where: str, what: str) -> dict[str, Any]:
    """``raw`` parsed as a JSON object; :class:`ParseError` naming ``where`` when it is not one."""
    try:
        document = json_loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"{where}: not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise ParseError(f"{where}: expected a JSON object ({what})")
    return document


def _sign_ob2(document: dict[str, Any], key: Any) -> str:
    from openbadges_core._jws import sign_assertion

    issues = document_issues(document, kind="Assertion")
    if issues:
        _fail_with_issues("Assertion", issues)
    try:
        token = sign_assertion(document, key)
    except ValidationError as exc:
        _fail_with_issues("Assertion", exc.issues)
    if key.alg != "RS256":
        click.echo(f"openbadges: note: signed with {key.alg}; many OB 2.0 verifiers (including the reference "
                   "validator) check RS256 only", err=True)
    return token


def _credential(document: dict[str, Any]) -> dict[str, Any]:
    """The OB 3.0 credential, checked (exit 1 with the issues when it breaks the schema)."""
    from openbadges_core._ob3._documents import OpenBadgeCredential

    try:
        OpenBadgeCredential.from_dict(document)
    except ParseError:
        raise
    except ValidationError as exc:
        _fail_with_issues("OpenBadgeCredential", exc.issues)
    return document


@click.command("sign")
@click.option("--format", "fmt", type=click.Choice(SIGN_FORMATS), default="ob2", show_default=True,
              help="ob2: OB 2.0 signed badge (JWS of an Assertion); vc-jwt: OB 3.0 VC-JWT; "
                   "di: OB 3.0 credential with an eddsa-rdfc-2022 Data Integrity proof (Ed25519 key).")
@click.option("--key", "key_path", required=True, metavar="KEY.pem",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Private key: PKCS#8/traditional PEM, DER or JWK.")
@click.option("--passphrase-env", metavar="VAR", default=None,
              help="Environment variable holding the private key's passphrase.")
@click.option("--kid", metavar="URI", default=None,
              help="vc-jwt: the header kid (a DID URL or JWK URL); without it the public JWK goes in the header.")
@click.option("--verification-method", metavar="URI", default=None,
              help="di: the proof's verificationMethod (default: <issuer id>#<multikey of the key>).")
@click.argument("file", metavar="FILE.json", type=click.Path(dir_okay=False, allow_dash=True))
def sign_command(fmt: str, key_path: Path, passphrase_env: str | None, kid: str | None,
                 verification_method: str | None, file: str) -> None:
    """Sign an OB 2.0 Assertion (--format ob2) or an OB 3.0 credential (vc-jwt, di) and print the result.

    ob2: the assertion must be valid and its verification {"type": "SignedBadge", "creator": <key IRI>};
    prints the compact JWS. vc-jwt: prints the compact VC-JWT (RS256, ES256 or EdDSA, from the key type).
    di: prints the credential JSON with an added eddsa-rdfc-2022 proof (needs an Ed25519 key).
    FILE.json may be '-' for stdin.

    Exit status: 0 signed, 1 invalid document (issues on stderr), 2 bad usage, unreadable key or input.
    """
    from openbadges_core._keyio import load_private_key

    if kid is not None and fmt != "vc-jwt":
        raise click.UsageError("--kid goes with --format vc-jwt")
    if verification_method is not None and fmt != "di":
        raise click.UsageError("--verification-method goes with --format di")
    key = load_private_key(_read_limited(str(key_path), _MAX_KEY_FILE), passphrase=_passphrase(passphrase_env))
    if fmt == "di" and key.alg != "EdDSA":
        raise click.UsageError(f"--format di signs eddsa-rdfc-2022 and needs an Ed25519 key; {key_path} is a "
                               f"{key.alg} key (use --format vc-jwt, or openbadges keygen --alg EdDSA)")
    document = read_json_object(file, "an Assertion" if fmt == "ob2" else "an OB 3.0 credential")
    if fmt == "ob2":
        click.echo(_sign_ob2(document, key))
    elif fmt == "vc-jwt":
        from openbadges_core._ob3._vcjwt import sign_vc_jwt

        click.echo(sign_vc_jwt(_credential(document), key, kid=kid, allow_eddsa=True))
    else:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from openbadges_core._ob3._dataintegrity import sign_data_integrity

        if document.get("proof"):
            click.echo("openbadges: note: the credential already has a proof; the new one joins it", err=True)
        ed25519 = key.cryptography_key
        assert isinstance(ed25519, Ed25519PrivateKey)  # checked above: key.alg == "EdDSA"
        signed = sign_data_integrity(_credential(document), ed25519, verification_method=verification_method)
        click.echo(json.dumps(signed, indent=2, ensure_ascii=False))


def register(group: click.Group) -> None:
    group.add_command(validate_command)
    group.add_command(sign_command)
