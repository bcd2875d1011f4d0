"""``POST /v1/organizations/{organization_id}/badges/batch``: Credly's ``{"badges": […]}``, each item naming its
own template; all or nothing — the first problem answers 422 with its ``error_index`` and nothing is stored."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.params import FromPath

from hosting.api.lookup import ISSUE_ROLES, find_issuer, require_role
from hosting.credly.badges import Caller, Db, Hosting, Store, accept_links, issue_checked, view
from hosting.credly.envelope import BodyInvalid, ok
from hosting.credly.inputs import award_from
from hosting.earners.awards import links_for_pending, notification_of
from hosting.lib.body import FieldErrors, read_body
from hosting.notify.outbox import queue_notification

__all__ = ["MAX_BATCH", "ROUTE_HANDLERS"]

MAX_BATCH = 1000


class BatchController(Controller):
    path = "/{organization_id:str}/badges/batch"
    tags = ["credly"]  # noqa: RUF012 - Litestar reads these class attributes
    opt = {"write_scope": "assertion:write"}  # noqa: RUF012

    @post("/", status_code=201)
    async def issue_batch(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                          hosting: Hosting, store: Store, organization_id: FromPath[str]) -> Response[Any]:
        """Issue up to 1,000 badges (each item as in "Issue a Badge") in one transaction."""
        issuer, role = await find_issuer(db_session, principal, organization_id)
        require_role(principal, role, ISSUE_ROLES, "issuing")
        data = await read_body(request)
        items = data.get("badges")
        if set(data) != {"badges"} or not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
            raise BodyInvalid(f"Validation failed: badges must be a list of 1 to {MAX_BATCH} badges", details=[
                {"field": "badges", "message": f"a list of 1 to {MAX_BATCH} badges", "value": None}])
        issued = []
        for index, item in enumerate(items):  # in order: a refusal names its item; the rollback drops the rest
            errors = FieldErrors()
            award, template, notify, names = award_from(item, errors, earner_accepts=True)
            if errors.details or award is None:
                first = errors.details[0]
                raise BodyInvalid(f"Validation failed: {first['field']} {first['message']}",
                                  details=errors.details, error_index=index)
            try:
                badge, assertion = await issue_checked(store, issuer, template, award)
            except BodyInvalid as exc:
                raise BodyInvalid(exc.message, **{**exc.extra, "error_index": index}) from exc
            issued.append((badge, assertion, notify, names))
        made = await links_for_pending(db_session, accept_links(hosting), [a for _, a, _, _ in issued])
        out = []
        for badge, assertion, notify, names in issued:
            if notify:
                kind, extra = notification_of(assertion, made)
                await queue_notification(db_session, kind, assertion, badge=badge, issuer=issuer, extra=extra)
            link = made.get(assertion.id)
            out.append(await view(db_session, hosting, assertion, issuer, badge, link.token if link else None,
                                  names))
        return ok(out, status=201)


ROUTE_HANDLERS: list[Any] = [BatchController]
