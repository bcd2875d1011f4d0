"""``POST /v1/organizations/{organization_id}/badges/batch``: Credly's ``{"badges": […]}``, each item naming its
own template; all or nothing.

Every item is checked (fields, template, the badge class's rules): a failing batch answers 422 with Credly's error
for the first invalid item (``message``, ``errors``, ``error_index``, as the seed shows) and, as an extension,
every invalid item in ``invalid_badges`` (the same object per item). A valid batch is issued through the store's bulk path
(:meth:`~hosting.storage.store.HostingStore.award`, one call per template), as ``/v1``'s batch is."""

from __future__ import annotations

from typing import Any, cast

from litestar import Controller, Request, Response, post
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.assertions.inputs import MAX_BATCH_BODY_BYTES, read_batch
from hosting.api.deps import Caller, Db, Hosting, Store
from hosting.api.lookup import ISSUE_ROLES, find_issuer, require_role
from hosting.credly.badges import failure_message, find_template, refusal_detail, template_award, view
from hosting.credly.envelope import BodyInvalid, error_data, ok
from hosting.credly.inputs import award_from, mail_extra
from hosting.credly.openapi import CredlyBatchInput, CredlyBatchIssued, credly_doc
from hosting.earners.awards import links_for_pending, notification_of
from hosting.lib.body import FieldErrors
from hosting.notify.outbox import OutboxBatch, queue_notification
from hosting.storage.models import Assertion, BadgeClass, Issuer
from hosting.storage.store import Award, AwardRefused, HostingStore

__all__ = ["MAX_BATCH", "ROUTE_HANDLERS"]

MAX_BATCH = 1000


class _Item:
    __slots__ = ("award", "badge", "mail", "names", "notify", "template")

    def __init__(self, award: Award, template: str | None, notify: bool, names: tuple[str, str] | None,
                 mail: dict[str, str]) -> None:
        self.award, self.template, self.notify, self.names, self.mail = award, template, notify, names, mail
        self.badge: BadgeClass | None = None


def _refused(problems: dict[int, list[dict[str, Any]]]) -> BodyInvalid:
    """Credly's 422 for the first invalid item, with every invalid item in ``invalid_badges``."""
    ordered = sorted(problems.items())
    first_index, first = ordered[0]
    return BodyInvalid(failure_message(first), details=first, error_index=first_index,
                       invalid_badges=[error_data(failure_message(d), d, i) for i, d in ordered])


async def _parse(session: AsyncSession, issuer: Issuer, items: list[Any], problems: dict[int, list[dict[str, Any]]],
                 created_by: str) -> dict[int, _Item]:
    """The valid items by index, their templates resolved (one lookup per distinct template); ``created_by``:
    the issuing user's email."""
    parsed: dict[int, _Item] = {}
    for index, item in enumerate(items):
        errors = FieldErrors()
        award, template, notify, names = award_from(item, errors, earner_accepts=True, created_by=created_by)
        if errors.details or award is None:
            problems[index] = errors.details
        else:
            parsed[index] = _Item(award, template, notify, names, mail_extra(item))
    templates: dict[str | None, BadgeClass | BodyInvalid] = {}
    for index, entry in list(parsed.items()):
        if entry.template not in templates:
            try:
                templates[entry.template] = await find_template(session, issuer, entry.template)
            except BodyInvalid as exc:
                templates[entry.template] = exc
        found = templates[entry.template]
        if isinstance(found, BodyInvalid):
            problems[index] = list(found.extra["details"])
            del parsed[index]
        else:
            entry.badge = found
    return parsed


async def _award_all(store: HostingStore, parsed: dict[int, _Item],
                     problems: dict[int, list[dict[str, Any]]]) -> dict[int, Assertion]:
    """Issue the items, one bulk :meth:`~HostingStore.award` per badge class; refusals go to ``problems``."""
    groups: dict[int, list[int]] = {}
    for index, entry in parsed.items():
        groups.setdefault(cast(BadgeClass, entry.badge).id, []).append(index)
    issued: dict[int, Assertion] = {}
    for indexes in groups.values():
        badge = cast(BadgeClass, parsed[indexes[0]].badge)
        try:
            made = await store.award(badge, [template_award(badge, parsed[i].award) for i in indexes])
        except AwardRefused as exc:  # nothing of this group was written; the others roll back with the 422
            for problem in exc.problems:
                problems.setdefault(indexes[problem["index"]], []).append(refusal_detail(problem))
            continue
        issued.update(zip(indexes, made, strict=True))
    return issued


class BatchController(Controller):
    path = "/{organization_id:str}/badges/batch"
    opt = {"write_scope": "assertion:write"}  # noqa: RUF012

    @post("/", status_code=201, request_max_body_size=MAX_BATCH_BODY_BYTES,
          **credly_doc(CredlyBatchIssued, status=201, body=CredlyBatchInput, errors=(409, 413, 422)))
    async def issue_batch(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                          hosting: Hosting, store: Store, organization_id: FromPath[str]) -> Response[Any]:
        """Issue up to 1,000 badges (each item as in "Issue a Badge") in one transaction, all or nothing."""
        issuer, role = await find_issuer(db_session, principal, organization_id)
        require_role(principal, role, ISSUE_ROLES, "issuing")
        data = await read_batch(request)
        items = data.get("badges")
        if set(data) != {"badges"} or not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
            raise BodyInvalid(f"Validation failed: Badges must be a list of 1 to {MAX_BATCH} badges", details=[
                {"field": "badges", "message": f"must be a list of 1 to {MAX_BATCH} badges", "value": None}])
        problems: dict[int, list[dict[str, Any]]] = {}
        parsed = await _parse(db_session, issuer, items, problems, principal.email)
        # The valid items go through the badge classes' rules even when others are invalid, so the 422 lists
        # every problem; whatever was written rolls back with it.
        issued = await _award_all(store, parsed, problems)
        if problems:
            raise _refused(problems)
        ordered = [(parsed[i], issued[i]) for i in sorted(issued)]
        made = await links_for_pending(db_session, hosting.accept_links, [a for _, a in ordered])
        outbox = OutboxBatch(db_session)
        out = []
        for entry, assertion in ordered:
            badge = cast(BadgeClass, entry.badge)
            if entry.notify:
                kind, extra = notification_of(assertion, made)
                await queue_notification(cast(AsyncSession, outbox), kind, assertion, badge=badge, issuer=issuer,
                                         extra={**extra, **entry.mail})
            link = made.get(assertion.id)
            out.append(await view(db_session, hosting, assertion, issuer, badge, link.token if link else None,
                                  entry.names))
        await outbox.write()
        return ok(out, status=201)


ROUTE_HANDLERS: list[Any] = [BatchController]
