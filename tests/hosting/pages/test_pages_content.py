"""What the pages show: evidence, skills, alignments, the verification panel, LinkedIn and share links, the issuer
and badge class pages; and what they never show (the earner's email or identity) or run (hostile input)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from _page_parse import Page, get_page
from conftest import run_store
from litestar.testing import TestClient
from sqlalchemy import update

from hosting import Settings
from hosting.app.demo import DEMO_SVG, DemoData, demo_png
from hosting.lib.urls import PublicUrls
from hosting.pages.award import render_award_page, shown_earner_name
from hosting.pages.reads import AwardRows
from hosting.storage.models import Assertion, utcnow

Client = TestClient[Any]
HOSTILE = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'

EVIDENCE = [
    {"type": "Evidence", "id": "https://example.org/work/1", "name": "Portfolio", "description": "Three programs",
     "narrative": "Wrote and tested them.", "genre": "Code", "audience": "Employers"},
    {"type": "Evidence", "narrative": "Presented to the class."},
    {"type": "Evidence", "id": "https://example.org/work/2"},
]


@pytest.fixture(scope="module")
def rich(settings: Settings) -> dict[str, str]:
    """An issuer with one richly described badge class, awards of every kind with evidence, and a hostile one."""

    async def _seed(store: Any) -> dict[str, str]:
        issuer = await store.create_issuer(slug="pages-rich", name="Pages Institute", url="https://pages.example/",
                                           email="badges@pages.example", description="Teaches pages.", image=demo_png((90, 50, 160)))
        await store.create_key(issuer, "RS256")
        badge = await store.create_badge_class(
            issuer, slug="rich", name="Rich Badge", description="A badge with everything.", image=demo_png(),
            criteria_narrative="Do all the things.", criteria_url="https://pages.example/criteria",
            tags=["pages", "accessibility"], image_alt_text="A blue badge",
            alignment=[{"targetName": "ESCO web design", "targetUrl": "https://esco.example/web",
                        "targetFramework": "ESCO", "targetCode": "W-1", "targetDescription": "Designs pages"}])
        svg = await store.create_badge_class(issuer, slug="rich-svg", name="Vector Badge", description="SVG art.",
                                             image=DEMO_SVG, criteria_narrative="Draw.")
        expires = utcnow() + timedelta(days=400)
        hosted = await store.issue(badge, "earner@example.org", recipient_name="Earner Person",
                                   narrative="Did excellent work.", evidence=EVIDENCE, expires=expires)
        plain = await store.issue(badge, "plain@example.org", hashed=False, evidence=EVIDENCE)
        signed = await store.issue(badge, "signer@example.org", verification="signed", evidence=EVIDENCE)
        di = await store.issue(badge, "di@example.org", proof="di", evidence=EVIDENCE, narrative="OB3 work")
        jwt = await store.issue(badge, "jwt@example.org", proof="jwt", evidence=EVIDENCE)
        hostile_issuer = await store.create_issuer(slug="pages-hostile", name=HOSTILE, url="javascript:alert(1)",
                                                   email="x@pages.example", description=HOSTILE)
        hostile_badge = await store.create_badge_class(
            hostile_issuer, slug="hostile", name=HOSTILE, description=HOSTILE, image=demo_png(),
            criteria_narrative=HOSTILE, criteria_url="javascript:alert(2)", tags=[HOSTILE],
            alignment=[{"targetName": HOSTILE, "targetUrl": "javascript:alert(3)"}])
        hostile = await store.issue(
            hostile_badge, "victim@example.org", narrative=HOSTILE, recipient_name=HOSTILE,
            evidence=[{"type": "Evidence", "id": "https://evil.example/x?a=%22%3E%3Cscript%3E", "name": HOSTILE, "narrative": HOSTILE,
                       "description": HOSTILE, "genre": HOSTILE, "audience": HOSTILE}])
        return {"issuer": issuer.public_id, "badge": badge.public_id, "svg": svg.public_id,
                "hosted": hosted.public_id, "plain": plain.public_id, "signed": signed.public_id,
                "di": di.public_id, "jwt": jwt.public_id, "hostile_issuer": hostile_issuer.public_id,
                "hostile_badge": hostile_badge.public_id, "hostile": hostile.public_id}

    return dict(run_store(settings, _seed))


def _award(client: Client, urls: PublicUrls, rich: dict[str, str], kind: str) -> Page:
    url = urls.credential(rich[kind]) if kind in ("di", "jwt") else urls.assertion(rich[kind])
    return get_page(client, url)


@pytest.mark.parametrize("kind", ["hosted", "signed", "di", "jwt"])
def test_award_page_shows_every_evidence_field(client: Client, urls: PublicUrls, rich: dict[str, str],
                                               kind: str) -> None:
    page = _award(client, urls, rich, kind)
    for field in ("Portfolio", "Three programs", "Wrote and tested them.", "Genre: Code", "Audience: Employers",
                  "Presented to the class."):
        assert field in page.text, field
    assert "https://example.org/work/1" in page.links() and "https://example.org/work/2" in page.links()
    assert "Evidence 2" in page.text  # an unnamed item gets a heading too


def test_award_page_shows_narrative_skills_alignment_expiry_and_issuer(client: Client, urls: PublicUrls,
                                                                        rich: dict[str, str]) -> None:
    page = _award(client, urls, rich, "hosted")
    assert "Did excellent work." in page.text
    assert page.html.count('<ul class="tags" id="tags"><li>pages</li><li>accessibility</li></ul>') == 1
    assert "https://esco.example/web" in page.links() and "ESCO W-1" in page.text and "Designs pages" in page.text
    assert "Not expired" in page.text and "Expires" in page.text
    assert page.by_id("issuer-link")["href"] == urls.issuer(rich["issuer"])
    assert urls.issuer_image(rich["issuer"]) in [a.get("src") for t, a in page.tags if t == "img"]
    assert urls.badge(rich["badge"]) in page.links()


def test_verification_panel_of_a_hosted_assertion(client: Client, urls: PublicUrls, rich: dict[str, str]) -> None:
    page = _award(client, urls, rich, "hosted")
    assert "Hosted assertion (Open Badges 2.0)" in page.text and "Not revoked" in page.text
    assert urls.revocations(rich["issuer"]) in page.links()
    assert not any("format=jws" in link for link in page.links())


def test_verification_panel_of_a_signed_assertion_links_the_jws(client: Client, urls: PublicUrls,
                                                               rich: dict[str, str]) -> None:
    page = _award(client, urls, rich, "signed")
    assert "Signed assertion (Open Badges 2.0)" in page.text and "signed by its issuer" in page.text
    jws = urls.assertion(rich["signed"]) + "?format=jws"
    assert jws in page.links()
    res = client.get(jws)
    assert res.status_code == 200 and res.headers["content-type"] == "application/jose"
    assert res.text.count(".") == 2
    assert any(link.startswith(urls.base + "/public/keys/") for link in page.links())


@pytest.mark.parametrize(("kind", "proof"), [("di", "Data Integrity proof (eddsa-rdfc-2022)"), ("jwt", "VC-JWT")])
def test_verification_panel_of_a_credential_names_its_proof_and_status_list(
        client: Client, urls: PublicUrls, rich: dict[str, str], kind: str, proof: str) -> None:
    page = _award(client, urls, rich, kind)
    assert "Signed credential (Open Badges 3.0)" in page.text and proof in page.text
    assert urls.status_list(rich["issuer"]) in page.links() and "status list" in page.text
    assert urls.did_document(rich["issuer"]) in page.links()
    assert (urls.credential_jwt(rich["jwt"]) in page.links()) == (kind == "jwt")
    assert "Open Badges 3.0 credential" in page.text


def test_expired_award_says_so_in_banner_and_panel(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    page = get_page(client, urls.assertion(demo.expired))
    assert page.by_id("status")["class"] == "banner expired"
    assert "Expired" in page.text and "Valid:" not in page.text


def test_linkedin_add_to_profile_url_has_the_certification_fields(client: Client, urls: PublicUrls,
                                                                  rich: dict[str, str]) -> None:
    page = _award(client, urls, rich, "hosted")
    link = urlsplit(str(page.by_id("linkedin-add")["href"]))
    assert (link.scheme, link.netloc, link.path) == ("https", "www.linkedin.com", "/profile/add")
    q = {k: v[0] for k, v in parse_qs(link.query).items()}
    now = utcnow()
    assert q["startTask"] == "CERTIFICATION_NAME" and q["name"] == "Rich Badge"
    assert q["organizationName"] == "Pages Institute"
    assert (q["issueYear"], q["issueMonth"]) == (str(now.year), str(now.month))
    assert int(q["expirationYear"]) >= now.year + 1 and 1 <= int(q["expirationMonth"]) <= 12
    assert q["certUrl"] == urls.assertion(rich["hosted"]) and q["certId"] == rich["hosted"]
    shares = [link for link in page.links() if "share" in link or "intent" in link or link.startswith("mailto:")]
    assert len(shares) == 4
    assert all(urls.assertion(rich["hosted"]) in parse_qs(urlsplit(s).query).get("url", [""])[0] or
               urls.assertion(rich["hosted"]) in s.replace("%3A", ":").replace("%2F", "/") for s in shares)


def test_no_page_shows_the_earners_email_or_unconsented_name(client: Client, demo: DemoData, urls: PublicUrls,
                                                             rich: dict[str, str]) -> None:
    pages = [urls.assertion(rich[k]) for k in ("hosted", "plain", "signed", "hostile")]
    pages += [urls.credential(rich[k]) for k in ("di", "jwt")]
    pages += [urls.assertion(demo.active), urls.assertion(demo.signed), urls.credential(demo.credential_di),
              urls.issuer(rich["issuer"]), urls.badge(rich["badge"]), urls.issuer(demo.issuer)]
    for url in pages:
        html = get_page(client, url).html
        assert "@example.org" not in html, url
        assert "Earner Person" not in html and "Ada Lovelace" not in html, url
    plain = get_page(client, urls.assertion(rich["plain"]))
    assert "plain@example.org" not in plain.html and "not shown" in plain.text


def test_shown_earner_name_needs_the_earners_opt_in(client: Client, urls: PublicUrls, rich: dict[str, str],
                                                    store_runner: Any) -> None:
    from hosting.pages import reads

    async def _rows(store: Any) -> AwardRows:
        rows = await reads.award_rows(store.session, rich["hosted"], "ob2")
        assert isinstance(rows, AwardRows)
        return rows

    rows = store_runner(_rows)
    assert rows.assertion.recipient_name == "Earner Person" and shown_earner_name(rows.assertion) is None
    rows.assertion.recipient_name_shown = True  # the earner opted in (the accept page sets it)
    assert shown_earner_name(rows.assertion) == "Earner Person"
    page = Page(render_award_page(rows, urls).decode())
    assert page.by_id("earner") and "Awarded to Earner Person" in page.text
    assert "earner@example.org" not in page.html


def test_hostile_names_and_narratives_are_escaped_and_no_script_link_survives(
        client: Client, urls: PublicUrls, rich: dict[str, str]) -> None:
    for url in (urls.assertion(rich["hostile"]), urls.issuer(rich["hostile_issuer"]),
                urls.badge(rich["hostile_badge"])):
        page = get_page(client, url)
        assert "<script" not in page.html.lower(), url
        assert not any(t == "script" for t, _ in page.tags)
        assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs), url
        assert not any(t == "img" and a.get("src") == "x" for t, a in page.tags)
        assert "&lt;script&gt;" in page.html
        assert not any(link.lower().startswith("javascript:") for link in page.links()), url
        assert HOSTILE in page.text or url.endswith(rich["hostile_issuer"]) and HOSTILE in page.text


def test_unpublished_award_states_are_404_pages(client: Client, urls: PublicUrls, store_runner: Any,
                                                rich: dict[str, str]) -> None:
    """An award in a state other than active/revoked/replaced (part A's pending/rejected) has no page."""

    async def _issue_pending(store: Any) -> str:
        from sqlalchemy import select

        from hosting.storage.models import BadgeClass
        badge = await store.session.scalar(select(BadgeClass).where(BadgeClass.public_id == rich["badge"]))
        row = await store.issue(badge, "pending@example.org")
        await store.session.execute(update(Assertion).where(Assertion.id == row.id).values(state="pending"))
        return str(row.public_id)

    public_id = store_runner(_issue_pending)
    get_page(client, urls.assertion(public_id), status=404)


def test_issuer_page_lists_its_badge_classes_linked(client: Client, urls: PublicUrls, rich: dict[str, str]) -> None:
    page = get_page(client, urls.issuer(rich["issuer"]))
    assert page.by_id("issuer-name") and "Pages Institute" in page.text and "Teaches pages." in page.text
    assert urls.badge(rich["badge"]) in page.links() and urls.badge(rich["svg"]) in page.links()
    assert "Rich Badge" in page.text and "Vector Badge" in page.text
    assert page.by_id("issuer-image")["alt"]
    assert "https://pages.example/" in page.links()
    for link in (urls.profile(rich["issuer"]), urls.did_document(rich["issuer"]), urls.status_list(rich["issuer"]),
                 urls.revocations(rich["issuer"])):
        assert link in page.links()


def test_badge_class_page_shows_criteria_tags_alignment_and_issuer(client: Client, urls: PublicUrls,
                                                                  rich: dict[str, str]) -> None:
    page = get_page(client, urls.badge(rich["badge"]))
    assert "Rich Badge" in page.text and "A badge with everything." in page.text
    assert "Do all the things." in page.text and "https://pages.example/criteria" in page.links()
    assert "accessibility" in page.text and "ESCO web design" in page.text
    assert page.by_id("issuer-link")["href"] == urls.issuer(rich["issuer"])
    assert page.by_id("badge-image")["src"] == urls.badge_image(rich["badge"])
    assert page.by_id("badge-image")["alt"] == "A blue badge"
    assert urls.achievement(rich["badge"]) in page.links()


def test_pages_use_no_script_and_no_external_assets(client: Client, demo: DemoData, urls: PublicUrls,
                                                    rich: dict[str, str]) -> None:
    for url in (urls.assertion(rich["hosted"]), urls.credential(rich["di"]), urls.issuer(rich["issuer"]),
                urls.badge(rich["badge"]), urls.assertion(demo.revoked)):
        res = client.get(url, headers={"accept": "text/html"})
        page = Page(res.text)
        assert not any(t in ("script", "iframe", "object", "embed") for t, _ in page.tags)
        for tag, attrs in page.tags:
            if tag in ("img", "source") or (tag == "link" and attrs.get("rel") != "canonical"):
                ref = attrs.get("src") or attrs.get("href") or ""
                # this origin, or the empty inline icon (`data:,`: no favicon request at all)
                assert ref.startswith(urls.base) or ref == "data:,", (url, tag, ref)
        assert "@import" not in page.html and "url(" not in page.html
        assert 'lang="en"' in page.html
        assert {t for t, _ in page.tags} >= {"header", "main", "footer", "h1"}
