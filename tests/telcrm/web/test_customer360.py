"""Find a customer and the customer 360 page: keys, scope, masking, unmask, queries."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import cast

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.telcrm.factories import (
    BillFactory,
    BillingAccountFactory,
    CustomerFactory,
    IndividualFactory,
    PaymentFactory,
    SubscriptionFactory,
    UserFactory,
    logged_in,
    resident_id,
)

from telcrm.accounts.choices import GroupLevel
from telcrm.accounts.models import BillingAccount, ServiceAccount
from telcrm.accounts.services import group_node_add, group_root_create
from telcrm.analytics.models import CustomerScore, FraudFlag, PipelineRun
from telcrm.audit.choices import AuditAction
from telcrm.audit.models import AuditEvent
from telcrm.customers.choices import (
    ConsentChannel,
    ConsentPurpose,
    ConsentSource,
    Direction,
    InteractionChannel,
    InteractionKind,
)
from telcrm.customers.models import Consent, Customer, Interaction
from telcrm.inventory.models import Subscription
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium, Individual
from telcrm.usage.models import LineUsageMonth
from telcrm.users.choices import Role
from telcrm.users.models import User

pytestmark = pytest.mark.django_db

PHONE = "+8613912345678"
PHONE_NATIONAL = "13912345678"
LINE_NUMBER = "13987654321"
ID_NUMBER = resident_id(seq=777)
NAME = "欧阳明月"
# The full values a masked member of staff must never receive.
FULL_VALUES = re.compile(
    "|".join(re.escape(v) for v in (PHONE_NATIONAL, LINE_NUMBER, ID_NUMBER))
)
# Queries of one 360 page, whatever the size of the customer's history (21, and 2
# for the campaigns section: the memberships and the suppression in force).
QUERY_BASELINE = 23


def staff(role: str) -> tuple[Client, User]:
    return logged_in(role)


def events_about_customers() -> QuerySet[AuditEvent]:
    """Audit events other than the logins of the test clients."""
    return AuditEvent.objects.exclude(action=AuditAction.LOGIN)


def seeded_customer(manager: User | None = None) -> Customer:
    """An individual with a phone contact, ID number, accounts and one line."""
    individual = cast(
        Individual, IndividualFactory(party__name=NAME, id_number=ID_NUMBER)
    )
    customer = cast(
        Customer,
        CustomerFactory(
            party=individual.party, customer_number="C777", account_manager=manager
        ),
    )
    ContactMedium.objects.create(
        party=individual.party, kind=ContactKind.PHONE, phone=PHONE, is_primary=True
    )
    account = cast(
        BillingAccount,
        BillingAccountFactory(
            customer=customer, account_number="A777", contact_phone=PHONE
        ),
    )
    ServiceAccount.objects.create(
        account_number="SA777", customer=customer, billing_account=account
    )
    SubscriptionFactory(
        customer=customer, billing_account=account, service_number=LINE_NUMBER
    )
    return customer


def result_numbers(client: Client, query: str) -> list[str]:
    response = client.get("/customers/", {"q": query}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return re.findall(r'href="/customers/([^/"]+)/"', response.content.decode())


@pytest.mark.parametrize(
    "query",
    [
        "139 1234 5678",  # phone contact, as people type it
        "+86 139-1234-5678",
        "13987654321",  # the line's service number
        ID_NUMBER.lower(),  # ID number through its blind index
        "A777",  # billing account
        "SA777",  # service account
        "C777",  # customer number
        "欧阳",  # name prefix
    ],
)
def test_search_finds_the_customer_by_each_key(query: str) -> None:
    seeded_customer()
    CustomerFactory()  # someone else, found by none of the keys
    client, _ = staff(Role.AGENT)

    assert result_numbers(client, query) == ["C777"]


def test_search_stays_within_the_scope_of_an_account_manager() -> None:
    theirs = cast(User, UserFactory(role=Role.ACCOUNT_MANAGER))
    seeded_customer(manager=theirs)
    client, _ = staff(Role.ACCOUNT_MANAGER)

    assert result_numbers(client, "C777") == []
    assert result_numbers(client, "139 1234 5678") == []
    theirs_client = Client()
    theirs_client.force_login(theirs)
    assert result_numbers(theirs_client, "欧阳") == ["C777"]


def test_search_results_are_masked() -> None:
    seeded_customer()
    client, _ = staff(Role.AGENT)

    partial = client.get("/customers/", {"q": "139 1234 5678"}, HTTP_HX_REQUEST="true")
    page = client.get("/customers/", {"q": "欧阳"})

    for response in (partial, page):
        html = response.content.decode()
        assert FULL_VALUES.search(html) is None
        assert "139****5678" in html
        assert "*" * 14 + ID_NUMBER[-4:] in html
    assert b'hx-get="/customers/"' in page.content


@pytest.mark.parametrize("role", [Role.MARKETER, Role.ANALYST, Role.AUDITOR])
def test_roles_without_customers_are_refused(role: str) -> None:
    customer = seeded_customer()
    client, _ = staff(role)

    assert client.get("/customers/", {"q": "C777"}).status_code == 403
    assert client.get(f"/customers/{customer.customer_number}/").status_code == 403
    assert (
        client.post("/customers/C777/unmask/", {"reason": "x" * 10}).status_code == 403
    )


def test_another_managers_customer_is_a_404_on_the_page_and_on_unmask() -> None:
    seeded_customer(manager=cast(User, UserFactory(role=Role.ACCOUNT_MANAGER)))
    client, _ = staff(Role.ACCOUNT_MANAGER)

    assert client.get("/customers/C777/").status_code == 404
    response = client.post("/customers/C777/unmask/", {"reason": "caller verification"})
    assert response.status_code == 404
    assert not events_about_customers().exists()


def test_the_360_page_is_masked_and_records_who_saw_it() -> None:
    customer = seeded_customer()
    client, agent = staff(Role.AGENT)

    response = client.get("/customers/C777/")

    html = response.content.decode()
    assert response.status_code == 200
    assert FULL_VALUES.search(html) is None
    assert "139****5678" in html
    assert "139****4321" in html
    event = events_about_customers().get()
    assert (event.action, event.user, event.target_id) == (
        AuditAction.VIEW,
        agent,
        str(customer.pk),
    )


def test_unmask_shows_full_values_and_leaves_one_audit_row() -> None:
    customer = seeded_customer()
    client, agent = staff(Role.AGENT)

    response = client.post(
        "/customers/C777/unmask/",
        {"reason": "caller verification"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/customers/C777/"
    event = events_about_customers().get()
    assert (event.action, event.user, event.target_id, event.reason) == (
        AuditAction.UNMASK,
        agent,
        str(customer.pk),
        "caller verification",
    )
    html = client.get("/customers/C777/").content.decode()
    assert sorted(set(FULL_VALUES.findall(html))) == sorted(
        [ID_NUMBER, LINE_NUMBER, PHONE_NATIONAL]
    )


def test_a_short_reason_is_refused_with_a_message_and_no_audit_row() -> None:
    seeded_customer()
    client, _ = staff(Role.AGENT)

    response = client.post(
        "/customers/C777/unmask/", {"reason": "why"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert b'aria-invalid="true"' in response.content
    assert not events_about_customers().exists()
    assert FULL_VALUES.search(client.get("/customers/C777/").content.decode()) is None


def test_a_role_without_the_permission_cannot_unmask() -> None:
    seeded_customer()
    client, _ = staff(Role.ADMINISTRATOR)

    response = client.post("/customers/C777/unmask/", {"reason": "caller verification"})

    assert response.status_code == 403
    assert not events_about_customers().exists()


def test_the_page_shows_group_scores_flags_usage_and_timeline() -> None:
    customer = seeded_customer()
    root_customer = cast(Customer, CustomerFactory(party__name="示例集团"))
    child_customer = cast(Customer, CustomerFactory(party__name="示例分公司"))
    root = group_root_create(node_number="G1", customer=root_customer)
    middle = group_node_add(
        parent=root, node_number="G1-1", customer=customer, level=GroupLevel.SUBSIDIARY
    )
    group_node_add(
        parent=middle,
        node_number="G1-1-1",
        customer=child_customer,
        level=GroupLevel.BRANCH,
    )
    add_scores(customer)
    add_history(customer, 1)
    client, _ = staff(Role.AGENT)

    html = client.get("/customers/C777/").content.decode()

    for expected in (
        "示例集团",
        "示例分公司",
        "contract ends in 1 month",
        "high arrears",
        "retain: call within a week",
        "12345.67",
        "疑似猫池（SIM-box）",  # the rule's label, in the default language
        'id="usage-data"',
        "web/vendor/echarts-5.6.0/echarts.min.js",
        "interaction 0",
        ConsentPurpose.MARKETING.label,
    ):
        assert str(expected) in html, expected


def add_scores(customer: Customer) -> None:
    run = PipelineRun.objects.create(started_at=timezone.now(), started_by="test")
    CustomerScore.objects.create(
        customer=customer,
        run=run,
        churn_probability=0.42,
        churn_reasons=["contract ends in 1 month"],
        bad_debt_probability=0.1,
        bad_debt_reasons=["high arrears"],
        clv=Decimal("12345.67"),
        segment_code="HV-HR",
        treatment="retain: call within a week",
        scored_at=timezone.now(),
    )
    FraudFlag.objects.create(
        run=run,
        customer=customer,
        service_number=LINE_NUMBER,
        rule="sim_box",
        first_day=datetime.date(2024, 3, 1),
        last_day=datetime.date(2024, 3, 5),
        score=0.9,
        evidence="many short calls",
    )


def add_history(customer: Customer, size: int) -> None:
    """``size`` bills, payments, interactions, lines, usage rows and consents."""
    account = BillingAccount.objects.get(customer=customer)
    today = timezone.localdate()
    for n in range(size):
        period = datetime.date(2010 + n // 12, n % 12 + 1, 1)
        bill = BillFactory(
            billing_account=account,
            period=period,
            issue_date=period,
            due_date=period + datetime.timedelta(days=20),
        )
        PaymentFactory(bill=bill, amount=Decimal("40.00"))
        line = cast(
            Subscription,
            SubscriptionFactory(customer=customer, billing_account=account),
        )
        LineUsageMonth.objects.create(
            subscription=line,
            customer=customer,
            period=today.replace(day=1),
            voice_out_calls=3,
            voice_out_seconds=600,
            voice_in_calls=1,
            voice_in_seconds=120,
            sms_out=2,
            sms_in=1,
            data_sessions=4,
            data_bytes=5_000_000,
            charge=Decimal("1.50"),
            international_calls=0,
            roaming_events=0,
            distinct_contacts=2,
            active_days=3,
        )
        Interaction.objects.create(
            customer=customer,
            channel=InteractionChannel.CALL_CENTRE,
            direction=Direction.INBOUND,
            kind=InteractionKind.INQUIRY,
            description=f"interaction {n}",
            occurred_at=timezone.now() - datetime.timedelta(hours=n),
        )
    Consent.objects.create(
        customer=customer,
        purpose=ConsentPurpose.MARKETING,
        channel=ConsentChannel.SMS,
        source=ConsentSource.APP,
    )


def queries_of_the_page(client: Client, customer_number: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/customers/{customer_number}/")
    assert response.status_code == 200
    return len(captured)


def test_the_page_needs_the_same_number_of_queries_for_1_or_50_of_everything() -> None:
    small = seeded_customer()
    add_scores(small)
    add_history(small, 1)
    large = cast(Customer, CustomerFactory(customer_number="C888"))
    BillingAccountFactory(customer=large)
    add_history(large, 50)
    client, _ = staff(Role.AGENT)
    client.get("/customers/C777/")  # warm the session and permission caches alike

    assert queries_of_the_page(client, "C777") == QUERY_BASELINE
    assert queries_of_the_page(client, "C888") == QUERY_BASELINE


def test_arrears_and_usage_charges_are_shown_to_the_cent() -> None:
    """Sums of money come back from SQLite as 15-digit numbers (386.520000000000):
    the page shows yuan and fen."""
    customer = seeded_customer()
    account = BillingAccount.objects.get(customer=customer)
    today = timezone.localdate()
    for days_late, amount in ((10, "133.14"), (40, "120.92"), (70, "132.46")):
        due = today - datetime.timedelta(days=days_late)
        BillFactory(
            billing_account=account, period=due.replace(day=1), issue_date=due,
            due_date=due, amount=Decimal(amount),
        )  # fmt: skip
    line = Subscription.objects.get(customer=customer)
    for charge in ("104.46", "0.10"):
        usage = LineUsageMonth.objects.filter(customer=customer).count()
        LineUsageMonth.objects.create(
            subscription=line if not usage else SubscriptionFactory(customer=customer),
            customer=customer, period=today.replace(day=1), voice_out_calls=0,
            voice_out_seconds=0, voice_in_calls=0, voice_in_seconds=0, sms_out=0,
            sms_in=0, data_sessions=0, data_bytes=0, charge=Decimal(charge),
            international_calls=0, roaming_events=0, distinct_contacts=0,
            active_days=1,
        )  # fmt: skip
    client, _ = staff(Role.AGENT)

    html = client.get("/customers/C777/").content.decode()

    figures = re.findall(r'<td class="number">([^<]*)</td>', html)
    assert figures[:5] == ["133.14", "120.92", "132.46", "0.00", "386.52"]
    assert "<strong>386.52</strong>" in html
    assert '<td class="number">104.56</td></tr>' in html  # the month's usage charges
    assert re.findall(r"\d\.\d{3,}", html) == []  # no figure of 3 or more places


# What the pipeline stores as codes (or English), in the user's language.
STORED_SCORE = {
    "value_score": 70.0,
    "value_band": "medium",
    "risk_band": "low",
    "segment_code": "develop",
    "treatment": "Develop: up-sell and cross-sell campaigns to move them to high "
    "value.",
    "customer_type": "important",
    "service_level": "24 h SLA; priority call-centre queue",
    "habit_profile": "heavy data users (data_mb 2.3x the average), "
    "rarely active at night (night_share -0.8 sd from the average)",
}
IN_CHINESE = (
    "70 <small>(中)</small>",
    "<dd>中价值低风险</dd>",
    "<dd>提升：向上销售与交叉销售，促其成为高价值客户。</dd>",
    "<dd>重点发展客户 <small>(24 小时响应；呼叫中心优先队列)</small></dd>",
    "<dd>流量大户（流量（MB）为平均值的 2.3 倍），"
    "夜间很少使用（夜间占比偏离平均值 -0.8 个标准差）</dd>",
)
IN_ENGLISH = (
    "70 <small>(medium)</small>",
    "<dd>Stable customers to develop</dd>",
    "<dd>Develop: up-sell and cross-sell campaigns to move them to high value.</dd>",
    "<dd>Important customer (B) <small>(24 h SLA; priority call-centre queue)</small>"
    "</dd>",
    "<dd>heavy data users (data_mb 2.3x the average), "
    "rarely active at night (night_share -0.8 sd from the average)</dd>",
)


@pytest.mark.parametrize(
    ("language", "shown", "not_shown"),
    [
        (
            "zh-hans",
            IN_CHINESE,
            ("(medium)", "develop", "Develop:", "important", "SLA", "heavy data"),
        ),
        ("en", IN_ENGLISH, ("(中)", "中价值低风险", "重点发展客户", "流量大户")),
    ],
)
def test_the_value_and_risk_card_reads_in_the_users_language(
    language: str, shown: tuple[str, ...], not_shown: tuple[str, ...]
) -> None:
    customer = seeded_customer()
    CustomerScore.objects.create(
        customer=customer,
        run=PipelineRun.objects.create(started_at=timezone.now(), started_by="test"),
        scored_at=timezone.now(),
        **STORED_SCORE,
    )
    client, _ = logged_in(Role.AGENT, language=language)

    html = client.get("/customers/C777/").content.decode()
    card = html[
        html.index('<article id="scores">') : html.index(
            "</article>", html.index('<article id="scores">')
        )
    ]

    for expected in shown:
        assert expected in card, expected
    for raw in not_shown:
        assert raw not in card, raw


def test_a_typical_profile_reads_in_chinese() -> None:
    customer = seeded_customer()
    CustomerScore.objects.create(
        customer=customer,
        run=PipelineRun.objects.create(started_at=timezone.now(), started_by="test"),
        scored_at=timezone.now(),
        habit_profile="typical usage (every column close to the average)",
    )
    client = Client()
    client.force_login(cast(User, UserFactory(role=Role.AGENT, language="zh-hans")))

    html = client.get("/customers/C777/").content.decode()

    assert "<dd>用量平常（各项均接近平均值）</dd>" in html
    assert "typical usage" not in html
