"""Linking the silos' records in the store: quality, idempotency, exact unmerge,
and the review queue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from telcrm.customers.choices import ConsentStatus
from telcrm.customers.models import Consent, Customer
from telcrm.linkage.choices import LinkKind, PairStatus
from telcrm.linkage.command import run_evaluate
from telcrm.linkage.models import IdentityLink, MatchPair
from telcrm.linkage.services import (
    customer_relations,
    identity_link_undo,
    linkage_evaluate,
    linkage_run,
)
from telcrm.loading.service import silos_load
from telcrm.users.choices import Role
from telcrm.users.models import User

pytestmark = pytest.mark.django_db


def ownership() -> dict[str, list[tuple[int, int | None]]]:
    """Who every row pointing at a customer points at, and who is merged into whom."""
    found = {
        f"{field.model._meta.label}.{field.attname}": sorted(
            field.model._default_manager.values_list("pk", field.attname)
        )
        for field in customer_relations()
    }
    found["merged_into"] = sorted(Customer.objects.values_list("pk", "merged_into_id"))
    return found


def test_a_run_links_the_silos_into_customers_with_high_precision_and_recall(
    loaded: Path,
) -> None:
    before, _ = linkage_evaluate(loaded / "truth")

    outcome = linkage_run()

    after, pending = linkage_evaluate(loaded / "truth")
    assert before.recall < 0.95  # the loader alone links only what is certain
    assert after.precision >= 0.98
    assert after.recall >= 0.95
    assert outcome.merged + outcome.attached > 0
    assert pending == outcome.review_pending
    links = IdentityLink.objects.all()
    assert {link.kind for link in links} == {LinkKind.MERGE, LinkKind.ATTACH}
    assert all(link.pair is not None and link.pair.evidence for link in links)
    merged = Customer.objects.filter(merged_into__isnull=False).count()
    assert merged == outcome.merged


def test_a_second_run_links_nothing_more(loaded: Path) -> None:
    linkage_run()
    state = ownership()

    second = linkage_run()

    assert (second.merged, second.attached) == (0, 0)
    assert ownership() == state


def test_undoing_every_link_restores_exactly_what_was_there(loaded: Path) -> None:
    state = ownership()
    linkage_run()
    assert ownership() != state

    for link in IdentityLink.objects.order_by("-linked_at", "-id"):
        identity_link_undo(link=link)

    assert ownership() == state


def test_people_registered_twice_who_consented_twice_are_merged(
    loaded: Path,
) -> None:
    outcome = linkage_run()

    assert outcome.refused == 0
    merged = Customer.objects.filter(merged_into__isnull=False)
    left = Consent.objects.filter(customer__in=merged)
    # What stays with a duplicate is a current consent its survivor holds too.
    assert left.exists()
    for consent in left:
        survivor = consent.customer.merged_into
        assert survivor is not None
        assert consent.status == ConsentStatus.GRANTED
        assert survivor.consents.filter(
            purpose=consent.purpose, channel=consent.channel, status=consent.status
        ).exists()
    # Their customer numbers lead to the survivors now: importing the same files
    # again finds every consent, where it is, and adds none.
    again = silos_load(loaded / "silos")
    [consents] = [item for item in again.files if item.kind == "consents"]
    assert (consents.loaded, consents.quarantined) == (0, 0)
    assert consents.duplicates == consents.read


def test_an_undone_merge_is_not_made_again(loaded: Path) -> None:
    linkage_run()
    link = IdentityLink.objects.filter(kind=LinkKind.MERGE).order_by("id").first()
    assert link is not None
    identity_link_undo(link=link)

    linkage_run()

    link.merged.refresh_from_db()
    assert link.merged.merged_into_id is None
    assert MatchPair.objects.filter(status=PairStatus.REJECTED).exists()


@pytest.fixture
def steward(client: Client) -> Client:
    user = User.objects.create_user(
        username="steward", password="pw-steward-1", role=Role.ADMINISTRATOR,
        is_staff=True,
    )  # fmt: skip
    client.force_login(user)
    return client


def test_staff_review_a_pair_side_by_side_and_link_it(
    loaded: Path, steward: Client
) -> None:
    linkage_run()
    pair = MatchPair.objects.filter(status=PairStatus.PENDING).first()
    assert pair is not None
    url = f"/admin/linkage/matchpair/{pair.pk}/review/"

    page = steward.get(url)
    decided = steward.post(url, {"_same": "Same party: link them"})

    assert page.status_code == 200
    html = page.content.decode()
    assert pair.record_l in html and pair.record_r in html
    assert 'id="pair-evidence"' in html
    assert decided.status_code == 302
    pair.refresh_from_db()
    assert pair.status == PairStatus.LINKED
    assert IdentityLink.objects.filter(pair=pair, decision="staff").count() <= 1


def test_staff_keep_a_pair_apart(loaded: Path, steward: Client) -> None:
    linkage_run()
    pair = MatchPair.objects.filter(status=PairStatus.PENDING).first()
    assert pair is not None

    steward.post(f"/admin/linkage/matchpair/{pair.pk}/review/", {"_different": "x"})

    pair.refresh_from_db()
    assert pair.status == PairStatus.REJECTED
    assert not IdentityLink.objects.filter(pair=pair).exists()


def test_an_agent_cannot_open_the_review_queue(loaded: Path, client: Client) -> None:
    agent = User.objects.create_user(
        username="agent", password="pw-agent-1", role=Role.AGENT, is_staff=True
    )
    client.force_login(agent)

    assert client.get("/admin/linkage/matchpair/").status_code == 403


def test_evaluate_prints_its_figures_as_json(
    loaded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    linkage_run()
    metrics, pending = linkage_evaluate(loaded / "truth")

    run_evaluate(loaded / "truth", as_json=True)

    printed = json.loads(capsys.readouterr().out)
    assert printed == {
        "precision": round(metrics.precision, 6),
        "recall": round(metrics.recall, 6),
        "f1": round(metrics.f1, 6),
        "true_positive_pairs": metrics.true_positive_pairs,
        "predicted_pairs": metrics.predicted_pairs,
        "true_pairs": metrics.true_pairs,
        "review_pending": pending,
    }
    assert printed["true_pairs"] > 0
