"""Migration 0019_fold_issued_as_accepted: Credly's ``issued_as_accepted`` folds into ``badge_classes.acceptance``
(NULL: unset, each API's default) on both backends. What ``/v1`` and Credly's issue do under every existing badge
class is kept, except under contradicting settings (pending wins); the downgrade gives the two columns back."""

from __future__ import annotations

from conftest import BASE_URL, SECRET, run_on_connection, run_store, table_columns
from sqlalchemy import Boolean, bindparam, select, text

from hosting import Settings
from hosting.app.demo import demo_png
from hosting.credly.badges import template_award
from hosting.storage.migrate import downgrade, migrate
from hosting.storage.models import Acceptance, BadgeClass
from hosting.storage.store import Award, HostingStore

BEFORE = "0018_credly_local_dates"
# slug: (acceptance, issued_as_accepted) before the fold → acceptance after it → the two columns after a downgrade
ROWS: dict[str, tuple[tuple[str, bool], str | None, tuple[str, bool]]] = {
    "untouched": (("issuer", False), None, ("issuer", False)),
    "both-accepted": (("issuer", True), "issuer", ("issuer", True)),
    "both-pending": (("earner", False), "earner", ("earner", False)),
    "contradicting": (("earner", True), "earner", ("earner", False)),
}
# slug → the state of an assertion issued through /v1 and through Credly's issue, after the fold
ISSUED = {"untouched": ("active", "pending"), "both-accepted": ("active", "active"),
          "both-pending": ("pending", "pending"), "contradicting": ("pending", "pending")}


def _pairs(url: str) -> dict[str, tuple[str, bool]]:
    rows = run_on_connection(url, lambda c: c.execute(text(
        "SELECT slug, acceptance, issued_as_accepted FROM badge_classes")).all())
    return {slug: (acceptance, bool(accepted)) for slug, acceptance, accepted in rows}


def _folded(url: str) -> dict[str, str | None]:
    rows = run_on_connection(url, lambda c: c.execute(text("SELECT slug, acceptance FROM badge_classes")).all())
    return {slug: acceptance for slug, acceptance in rows}


def test_issued_as_accepted_folds_into_acceptance_and_back(empty_database_url: str) -> None:
    settings = Settings(database_url=empty_database_url, base_url=BASE_URL, secret_key=SECRET, access_log=False)
    migrate(empty_database_url)  # the store writes today's columns: create the rows at head, then go down to 0018

    async def _seed(store: HostingStore) -> None:
        issuer = await store.create_issuer(slug="fold", name="Fold", url="https://fold.example/",
                                            email="badges@fold.example")
        for slug in ROWS:
            await store.create_badge_class(issuer, slug=slug, name=slug, description=slug, image=demo_png(),
                                           criteria_narrative="Do it.")

    run_store(settings, _seed)
    downgrade(empty_database_url, BEFORE)
    assert _pairs(empty_database_url) == {slug: ("issuer", False) for slug in ROWS}  # unset reads as the old defaults
    update = text("UPDATE badge_classes SET acceptance = :acceptance, issued_as_accepted = :accepted "
                  "WHERE slug = :slug").bindparams(bindparam("accepted", type_=Boolean()))
    params = [{"slug": slug, "acceptance": acceptance, "accepted": accepted}
              for slug, ((acceptance, accepted), _, _) in ROWS.items()]
    run_on_connection(empty_database_url, lambda c: c.execute(update, params))

    migrate(empty_database_url)
    assert "issued_as_accepted" not in table_columns(empty_database_url, "badge_classes") and "acceptance" in table_columns(empty_database_url, "badge_classes")
    assert _folded(empty_database_url) == {slug: folded for slug, (_, folded, _) in ROWS.items()}

    async def _issue(store: HostingStore) -> dict[str, tuple[str, str]]:
        states = {}
        for badge in await store.session.scalars(select(BadgeClass)):
            (v1,) = await store.award(badge, [Award(recipient=f"v1-{badge.slug}@example.org")])
            credly_award = Award(recipient=f"credly-{badge.slug}@example.org", acceptance=Acceptance.EARNER)
            (credly,) = await store.award(badge, [template_award(badge, credly_award)])
            states[badge.slug] = (v1.state, credly.state)
        return states

    assert run_store(settings, _issue) == ISSUED

    downgrade(empty_database_url, BEFORE)
    assert _pairs(empty_database_url) == {slug: unfolded for slug, (_, _, unfolded) in ROWS.items()}
    migrate(empty_database_url)  # and up again: the same settings
    assert _folded(empty_database_url) == {slug: folded for slug, (_, folded, _) in ROWS.items()}
