"""``openbadges upgrade``: an OB 2.0 assertion (URL, file, stdin) printed as an OB 3.0 credential."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import click

from openbadges_core._cli._documents import _read, json_object
from openbadges_core._cli._keys import _fail_with_issues
from openbadges_core._errors import ParseError, ValidationError
from openbadges_core._jws import decode_jws_unverified
from openbadges_core._ob3._contexts import VC1_CONTEXT, VC2_CONTEXT
from openbadges_core._verify import VerifyOptions

__all__ = ["register"]

_JWS = re.compile(rb"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def _source(value: str | None, what: str) -> Any:
    """A URL stays a URL (fetched by the upgrade); a file or '-' is read as JSON or a signed badge's JWS."""
    if value is None:
        return None
    if value.lower().startswith(("http://", "https://")):
        return value
    raw = _read(value)
    where = "stdin" if value == "-" else value
    text = raw.strip()
    if _JWS.fullmatch(text):  # an OB 2.0 signed badge: its payload is the assertion (upgrading does not verify)
        _header, raw = decode_jws_unverified(text.decode("ascii"))
    document = json_object(raw, where, what)
    contexts = document.get("@context")
    if any(isinstance(c, str) and c in (VC1_CONTEXT, VC2_CONTEXT)
           for c in (contexts if isinstance(contexts, list) else [contexts])):
        raise ParseError(f"{where}: this is already a Verifiable Credential (OB 3.0); nothing to upgrade")
    return document


@click.command("upgrade")
@click.argument("assertion", metavar="ASSERTION_URL_OR_FILE")
@click.option("--badge", metavar="URL_OR_FILE", help="The BadgeClass, when the assertion only links it.")
@click.option("--issuer", metavar="URL_OR_FILE", help="The Issuer profile, when the badge class only links it.")
@click.option("--issuer-id", metavar="URI", help="The OB 3.0 issuer id (e.g. your did:web); default the 2.0 id.")
@click.option("--credential-id", metavar="URI", help="The credential id (default: a urn:uuid derived from the "
                                                    "assertion id).")
@click.option("--achievement-id", metavar="URI", help="The achievement id (default: a urn:uuid derived from the "
                                                     "badge class id).")
@click.option("--allow-private-network", is_flag=True,
              help="Allow fetching from loopback/private addresses (off by default: SSRF protection).")
@click.option("--timeout", type=float, metavar="S", help="Seconds per request (default 10).")
def upgrade_command(assertion: str, badge: str | None, issuer: str | None, issuer_id: str | None,
                    credential_id: str | None, achievement_id: str | None, allow_private_network: bool,
                    timeout: float | None) -> None:
    """Print the OB 3.0 credential (unsigned JSON) upgraded from an OB 2.0 assertion.

    ASSERTION_URL_OR_FILE is the assertion's URL, a JSON file, a signed badge's JWS file or '-' (stdin). A badge class or issuer the
    assertion only links is fetched (SSRF-safe) unless --badge/--issuer give it. Sign the output with
    'openbadges sign --format vc-jwt|di'.

    Exit status: 0 upgraded, 1 an OB 2.0 document is invalid (issues on stderr), 2 cannot upgrade
    (revoked, not fetchable, not JSON ...).
    """
    from openbadges_core._upgrade import upgrade_assertion

    if timeout is not None and timeout <= 0:
        raise click.UsageError("--timeout must be positive")
    options = VerifyOptions(allow_private_network=allow_private_network)
    if timeout is not None:
        options = dataclasses.replace(options, timeout=timeout, total_timeout=timeout * 3)
    try:
        credential = upgrade_assertion(_source(assertion, "an Assertion"), _source(badge, "a BadgeClass"),
                                       _source(issuer, "an Issuer"), options=options, issuer_id=issuer_id,
                                       credential_id=credential_id, achievement_id=achievement_id)
    except ParseError:
        raise
    except ValidationError as exc:
        _fail_with_issues("OB 2.0 document", exc.issues)
    click.echo(json.dumps(credential.to_dict(), indent=2, ensure_ascii=False))


def register(group: click.Group) -> None:
    group.add_command(upgrade_command)
