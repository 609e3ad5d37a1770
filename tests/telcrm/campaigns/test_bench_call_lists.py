"""The call-list benchmark at a small scale (benchmarks/bench_call_lists.py).

Its builder (benchmarks/campaign_operator.py) writes an exact number of customers
with each policy-relevant fact; the list build must deny each of them by the rule that
fact calls for, give the seats to the higher-priority campaigns first and agree,
customer by customer, with what the builder's truth says. Speed is the benchmark's
business, not this test's.
"""

from __future__ import annotations

from collections import Counter

import pytest
from benchmarks.campaign_operator import (
    CAMPAIGNS,
    DAY,
    CallConsent,
    Fact,
    Launched,
    Operator,
    campaigns_launch,
    expected_lists,
    list_disagreements,
    operator_build,
)

from telcrm.analytics.models import CustomerScore
from telcrm.campaigns import lists
from telcrm.campaigns.choices import MemberGroup, MemberState, PolicyRule
from telcrm.campaigns.lists import CallListReport, call_lists_build
from telcrm.campaigns.models import (
    CampaignMember,
    ContactAttempt,
    ContactDecision,
    ContactSuppression,
)
from telcrm.customers.models import Consent, Customer, DoNotCallEntry, Interaction
from telcrm.inventory.models import Subscription
from telcrm.parties.models import ContactMedium

pytestmark = pytest.mark.django_db

CUSTOMERS = 2_000
# 200 calls a day: the seats run out in the third campaign, so the last two queue
# nobody and lose the customers the first three queued to the priority rule.
AGENTS, CALLS_PER_DAY = 5, 40
DENYING_RULES = {
    PolicyRule.SUPPRESSION,
    PolicyRule.CONSENT,
    PolicyRule.USAGE_DATA_CONSENT,
    PolicyRule.COOL_OFF,
    PolicyRule.CALLING_HOURS,
    PolicyRule.FREQUENCY_CAP,
    PolicyRule.PRIORITY,
}

Built = tuple[Operator, list[Launched], CallListReport]


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Built:
    # Batches as small as the seats want: the third list stops part-way, as the
    # lists of a large operator do.
    monkeypatch.setattr(lists, "MIN_DECISION_BATCH", 1)
    op = operator_build(customers=CUSTOMERS, agents=AGENTS, calls_per_day=CALLS_PER_DAY)
    launched = campaigns_launch(op)
    return op, launched, call_lists_build(day=DAY)


def test_the_builder_writes_each_fact_for_its_exact_share(built: Built) -> None:
    op, _, _ = built
    assert Customer.objects.count() == 2_000
    assert Customer.objects.filter(status="closed").count() == 40  # 2 %
    assert ContactMedium.objects.count() == 4_000  # a phone and an address each
    assert CustomerScore.objects.count() == Subscription.objects.count() == 2_000
    facts = Counter(Fact(code) for code in op.fact.tolist())
    assert facts == {
        Fact.NONE: 1_928,
        Fact.OPTED_OUT: 8,  # 0.4 %
        Fact.DO_NOT_CALL: 6,  # 0.3 %
        Fact.REFUSED_RECENTLY: 10,
        Fact.OPEN_COMPLAINT: 4,
        Fact.COMPLAINT_CLOSED_RECENTLY: 4,
        Fact.COMPLAINT_CLOSED_LONG_AGO: 4,
        Fact.TWO_CALLS_THIS_MONTH: 10,
        Fact.CALLED_LAST_EVENING: 6,
        Fact.ONE_CALL_THIS_MONTH: 20,
    }
    assert ContactSuppression.objects.count() == 8
    assert DoNotCallEntry.objects.count() == 6
    assert Interaction.objects.filter(kind="complaint").count() == 12
    assert Interaction.objects.filter(outcome="open").count() == 4
    # Refused 10, two calls 2 x 10, last evening 6, one call 20.
    assert ContactAttempt.objects.count() == 56
    assert ContactAttempt.objects.filter(outcome="refused").count() == 10
    consents = Counter(op.call_consent.tolist())
    assert consents == {
        CallConsent.GRANTED: 1_680,
        CallConsent.WITHDRAWN: 20,
        CallConsent.SMS_ONLY: 100,
        CallConsent.NONE: 200,
    }
    marketing = Consent.objects.filter(purpose="marketing")
    assert marketing.filter(channel="phone_call", status="granted").count() == 1_680
    assert marketing.filter(channel="phone_call", status="withdrawn").count() == 20
    assert marketing.filter(channel="sms").count() == 100
    assert Consent.objects.filter(purpose="profiling").count() == 1_400  # 70 %


def test_approval_draws_each_target_list_with_its_control_group(
    built: Built,
) -> None:
    _, launched, _ = built
    assert [(c.priority, c.uses_usage_data) for c in launched] == [
        (
            spec.priority,
            "segments" in spec.target_rule or "churn_min" in spec.target_rule,
        )
        for spec in CAMPAIGNS
    ]
    broad = launched[-1]
    assert broad.members == 1_960  # every active customer
    for campaign in launched:
        members = CampaignMember.objects.filter(campaign_id=campaign.campaign_id)
        assert members.count() == campaign.members
        assert members.filter(group=MemberGroup.CONTROL).count() == campaign.control
        # A tenth of each segment, rounded per segment.
        strata = Counter(members.values_list("stratum", flat=True))
        assert campaign.control == sum(round(n * 0.1) for n in strata.values())


def test_every_rule_denies_and_the_lists_agree_with_the_truth(built: Built) -> None:
    op, launched, report = built
    expected = expected_lists(op, launched)
    assert [r.code for r in report.results] == [e.code for e in expected]
    for result, want in zip(report.results, expected, strict=True):
        logged = dict(
            ContactDecision.objects.filter(
                campaign__code=result.code, stage="list_build"
            ).values_list("customer_id", "rule")
        )
        on_list = CampaignMember.objects.filter(
            campaign__code=result.code, state=MemberState.QUEUED
        )
        queued = set(on_list.values_list("customer_id", flat=True))
        assert list_disagreements(result, want, logged, queued) == []
    denied: Counter[str] = Counter()
    for result in report.results:
        denied.update(result.denied)
    assert set(denied) == DENYING_RULES
    # The seats go to the higher-priority campaigns, all of them used.
    seated = [result.queued for result in report.results]
    assert sum(seated) == report.capacity == 200
    assert seated[-2:] == [0, 0]
    assert [result.queued == result.allowed for result in report.results[:2]] == [
        True,
        True,
    ]
    # Every decision is logged, once; campaigns after the seats are full decide
    # nobody.
    assert ContactDecision.objects.filter(stage="list_build").count() == sum(
        result.decided for result in report.results
    )
    assert [(r.decided, r.eligible) for r in report.results] == [
        (30, 30),
        (36, 36),
        (230, 617),  # stopped when the seats were full
        (0, 534),
        (0, 1_764),
    ]
