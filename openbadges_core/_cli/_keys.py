"""``openbadges keygen`` and ``openbadges demo`` (``sign`` lives in ``_documents``), and their file helpers."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from openbadges_core._cli import CheckFailed
from openbadges_core._errors import ValidationIssue
from openbadges_core._files import read_capped
from openbadges_core._jws import verify_jws
from openbadges_core._keys import SUPPORTED_ALGORITHMS, generate_key

_MAX_KEY_FILE = 64 * 1024


def _passphrase(var: str | None) -> str | None:
    if var is None:
        return None
    value = os.environ.get(var)
    if not value:
        raise click.UsageError(f"--passphrase-env {var}: environment variable is not set or empty")
    return value


def _write_file(path: Path, data: bytes, mode: int, *, overwrite: bool) -> None:
    """Write ``data`` to ``path`` atomically; the file has ``mode`` from its creation on (never wider)."""
    if not overwrite and (path.exists() or path.is_symlink()):
        raise click.UsageError(f"{path}: already exists (use --force to replace it)")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # created 0600
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_limited(path: str, limit: int) -> bytes:
    data: bytes
    if path == "-":
        data = sys.stdin.buffer.read(limit + 1)
    else:
        data = read_capped(path, limit)
    if len(data) > limit:
        size = f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit} bytes"
        raise click.UsageError(f"{path}: larger than {size}")
    return data


def _fail_with_issues(what: str, issues: list[ValidationIssue]) -> NoReturn:
    for issue in issues:
        click.echo(str(issue), err=True)
    raise CheckFailed(f"invalid {what}: {len(issues)} issue{'s' if len(issues) != 1 else ''}")


@click.command("keygen")
@click.option("--alg", type=click.Choice(SUPPORTED_ALGORITHMS), default="RS256", show_default=True,
              help="Signature algorithm: RS256 (RSA, the OB 2.0 default), ES256 (P-256) or EdDSA (Ed25519).")
@click.option("--rsa-bits", type=click.Choice(["2048", "3072", "4096"]), default="2048", show_default=True,
              help="RSA modulus size (RS256 only).")
@click.option("--out", "out", required=True, metavar="KEY.pem", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the private key (mode 0600); the public key goes to KEY.pem.pub.")
@click.option("--passphrase-env", metavar="VAR", default=None,
              help="Encrypt the private key with the passphrase held in environment variable VAR.")
@click.option("--force", is_flag=True, help="Replace existing files.")
def keygen_command(alg: str, rsa_bits: str, out: Path, passphrase_env: str | None, force: bool) -> None:
    """Generate an issuer signing key; prints its key id (RFC 7638 JWK thumbprint).

    Writes the PKCS#8 private key to KEY.pem (file mode 0600 from creation, encrypted when
    --passphrase-env is given) and the SubjectPublicKeyInfo public key to KEY.pem.pub (0644).

    Exit status: 0 written, 2 bad usage or the files cannot be written.
    """
    passphrase = _passphrase(passphrase_env)
    public_path = out.with_name(out.name + ".pub")
    if not force:
        for existing in (out, public_path):
            if existing.exists() or existing.is_symlink():
                raise click.UsageError(f"{existing}: already exists (use --force to replace it)")
    key = generate_key(alg, rsa_bits=int(rsa_bits))
    _write_file(out, key.to_pem(passphrase), 0o600, overwrite=force)
    _write_file(public_path, key.public_key.to_pem(), 0o644, overwrite=force)
    click.echo(key.kid)


def _pretty(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)


@click.command("demo")
@click.option("--alg", type=click.Choice(SUPPORTED_ALGORITHMS), default="RS256", show_default=True,
              help="Algorithm of the demo issuer key.")
def demo_command(alg: str) -> None:
    """Issue and sign an example badge with the public API, then print the documents and the JWS."""
    import openbadges_core as ob
    from openbadges_core import ob2

    key = ob.generate_key(alg)
    base = "https://badges.example.org"
    issuer = ob2.Issuer(id=f"{base}/issuers/robotics-club.json", name="Example Robotics Club", url=base,
                        email="badges@example.org", public_key=f"{base}/keys/{key.kid}.json")  # type: ignore[arg-type]  # one value: written as one
    key_document = ob2.CryptographicKey(id=f"{base}/keys/{key.kid}.json", owner=issuer.id,
                                        public_key_pem=key.public_key.to_pem().decode("ascii"))
    badge = ob2.BadgeClass(id=f"{base}/badges/line-follower.json", name="Line Follower",
                           description="Built a robot that follows a line.",
                           image=f"{base}/badges/line-follower.png",
                           criteria=ob2.Criteria(narrative="Build a robot that follows a black line for 2 m."),
                           issuer=issuer.id)
    assertion = ob2.Assertion(id="urn:uuid:6b6f1a2e-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
                              recipient=ob2.hash_identity("ada@example.org"), badge=badge.id,
                              verification=ob2.VerificationObject(type="SignedBadge", creator=key_document.id),
                              issued_on=datetime.now(UTC).replace(microsecond=0))
    for document in (issuer, key_document, badge, assertion):
        ob2.validate_document(document)
    token = ob.sign_assertion(assertion, key)
    header, payload = verify_jws(token, key.public_key)
    if json.loads(payload) != assertion.to_dict():
        raise CheckFailed("demo: the signed payload does not round-trip")
    for title, document in (("Issuer", issuer), ("CryptographicKey", key_document), ("BadgeClass", badge),
                            ("Assertion", assertion)):
        click.echo(f"# {title}\n{_pretty(document.to_dict())}\n")
    click.echo(f"# Signed assertion (compact JWS, header {json.dumps(header)}, key id {key.kid})\n{token}\n")
    click.echo("# Verified with the issuer's public key: ok (recipient ada@example.org matches: "
               f"{ob2.identity_matches(assertion.recipient, 'ada@example.org')})")


def register(group: click.Group) -> None:
    group.add_command(keygen_command)
    group.add_command(demo_command)
