"""Key accounts: the group page, its roll-ups, visits, proposal, and the workbench."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import cast

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.telcrm.factories import (
    BillFactory,
    BillingAccountFactory,
    CustomerFactory,
    OfferingFactory,
    PaymentFactory,
    SubscriptionFactory,
    UserFactory,
    logged_in,
)

from telcrm.accounts.choices import GroupLevel, TeamRole
from telcrm.accounts.models import GroupNode
from telcrm.accounts.services import (
    account_team_member_add,
    group_node_add,
    group_root_create,
)
from telcrm.analytics.choices import FlagStatus, FraudRule
from telcrm.analytics.models import CustomerScore, FraudFlag, PipelineRun
from telcrm.catalog.choices import LifecycleStatus, LineOfBusiness, OfferingKind
from telcrm.catalog.models import BundleComponent, ProductOffering
from telcrm.customers.choices import (
    Direction,
    InteractionChannel,
    InteractionKind,
    InteractionOutcome,
)
from telcrm.customers.models import Customer, Interaction
from telcrm.inventory.choices import SubscriptionStatus
from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm.web.customer360.selectors import first_of_month, today_local
from telcrm.web.keyaccounts.proposal import group_proposal
from telcrm.web.keyaccounts.selectors import ISSUES_SHOWN, group_page

pytestmark = pytest.mark.django_db

# Queries of one group page, whatever the size of the tree.
QUERY_BASELINE = 20


def staff(role: str = Role.ACCOUNT_MANAGER, **fields: object) -> tuple[Client, User]:
    return logged_in(role, **fields)


def org(manager: User | None = None) -> Customer:
    return cast(Customer, CustomerFactory(account_manager=manager))


def run() -> PipelineRun:
    return PipelineRun.objects.create(started_at=timezone.now(), started_by="test")


def score(customer: Customer, churn: float, **fields: object) -> CustomerScore:
    return CustomerScore.objects.create(
        customer=customer,
        run=PipelineRun.objects.first() or run(),
        churn_probability=churn,
        scored_at=timezone.now(),
        **fields,
    )


def issue(customer: Customer, kind: str, outcome: str, **fields: object) -> Interaction:
    return Interaction.objects.create(
        customer=customer,
        kind=kind,
        outcome=outcome,
        channel=InteractionChannel.CALL_CENTRE,
        direction=Direction.INBOUND,
        occurred_at=fields.pop("occurred_at", timezone.now()),
        **fields,
    )


class Group:
    """A hand-made group of three levels: root, two subsidiaries, one branch."""

    def __init__(self, manager: User) -> None:
        self.root = group_root_create(node_number="G1", customer=org(manager))
        self.sub1 = group_node_add(
            parent=self.root, node_number="G1-S1", customer=org(), level="subsidiary"
        )
        self.sub2 = group_node_add(
            parent=self.root, node_number="G1-S2", customer=org(), level="subsidiary"
        )
        self.branch = group_node_add(
            parent=self.sub1,
            node_number="G1-S1-B1",
            customer=org(),
            level=GroupLevel.BRANCH,
        )
        self.mobile = OfferingFactory(code="MOB", monthly_fee=Decimal("58.00"))
        self.broadband = OfferingFactory(
            code="BB",
            line_of_business=LineOfBusiness.BROADBAND,
            monthly_fee=Decimal("100.00"),
        )

    def customer(self, node: GroupNode) -> Customer:
        return Customer.objects.get(group_node=node)


@pytest.fixture
def manager() -> User:
    return cast(User, UserFactory(role=Role.ACCOUNT_MANAGER))


@pytest.fixture
def group(manager: User) -> Group:
    return Group(manager)


def seed_rollups(group: Group) -> None:
    """Lines, bills, payments, scores, flags and issues with known totals."""
    root, sub1, sub2, branch = (
        group.customer(n) for n in (group.root, group.sub1, group.sub2, group.branch)
    )
    for customer in (root, root, branch):
        SubscriptionFactory(customer=customer, offering=group.mobile)
    SubscriptionFactory(customer=sub1, offering=group.broadband)
    SubscriptionFactory(
        customer=sub2,
        offering=group.mobile,
        status=SubscriptionStatus.TERMINATED,
        end_date=datetime.date(2024, 1, 1),
    )
    today = today_local()
    this_month = first_of_month(today, months_back=0)
    last_month = first_of_month(today, months_back=1)
    year_ago = first_of_month(today, months_back=12)

    def bill(customer: Customer, period: datetime.date, amount: str) -> object:
        return BillFactory(
            billing_account=BillingAccountFactory(customer=customer),
            period=period,
            issue_date=period,
            due_date=period,
            amount=Decimal(amount),
        )

    PaymentFactory(bill=bill(root, this_month, "100.00"), amount=Decimal("100.00"))
    PaymentFactory(bill=bill(branch, this_month, "25.00"), amount=Decimal("25.00"))
    PaymentFactory(bill=bill(sub1, last_month, "50.00"), amount=Decimal("20.00"))
    PaymentFactory(bill=bill(sub2, year_ago, "999.00"), amount=Decimal("999.00"))
    # At high risk: the pipeline's high band (by rank), whatever the probability.
    score(root, 0.2, risk_band="low")
    score(sub1, 0.6, risk_band="medium")
    score(branch, 0.8, risk_band="high")
    flag_run = PipelineRun.objects.get()
    for customer, status in ((branch, FlagStatus.OPEN), (sub1, FlagStatus.DISMISSED)):
        FraudFlag.objects.create(
            run=flag_run,
            customer=customer,
            service_number=customer.customer_number,
            rule=FraudRule.SIM_BOX,
            first_day=datetime.date(2024, 3, 1),
            last_day=datetime.date(2024, 3, 5),
            score=0.9,
            evidence="many short calls",
            status=status,
        )
    issue(sub1, InteractionKind.COMPLAINT, InteractionOutcome.OPEN)
    issue(branch, InteractionKind.SERVICE_REQUEST, InteractionOutcome.OPEN)
    issue(root, InteractionKind.COMPLAINT, InteractionOutcome.RESOLVED)
    issue(root, InteractionKind.INQUIRY, InteractionOutcome.OPEN)


# --- The group page ----------------------------------------------------------------


def test_group_tree_nests_three_levels(group: Group) -> None:
    page = group_page(group.root, today=today_local())
    tree = page.tree
    assert tree.node == group.root
    assert [child.node.node_number for child in tree.children] == ["G1-S1", "G1-S2"]
    assert [b.node.node_number for b in tree.children[0].children] == ["G1-S1-B1"]
    assert page.nodes_count == 4


def test_group_rollups_have_exact_numbers(group: Group) -> None:
    seed_rollups(group)
    page = group_page(group.root, today=today_local())
    assert [
        (p.line_of_business, p.offering_code, p.lines, p.monthly_fees)
        for p in page.products
    ] == [
        ("broadband", "BB", 1, Decimal("100.00")),
        ("mobile_postpaid", "MOB", 3, Decimal("174.00")),
    ]
    assert len(page.revenue) == 12
    assert page.revenue[-1][1] == Decimal("125.00")
    assert page.revenue[-2][1] == Decimal("50.00")
    assert page.revenue_total == Decimal("175.00")
    assert page.open_issues_count == 2
    assert page.risk.max_churn == 0.8
    assert page.risk.mean_churn == pytest.approx((0.2 + 0.6 + 0.8) / 3)
    assert page.risk.high_risk_customers == 1
    assert page.risk.open_fraud_flags == 1
    assert page.risk.arrears == Decimal("30.00")


def test_subsidiary_page_rolls_up_its_own_subtree_only(group: Group) -> None:
    seed_rollups(group)
    page = group_page(group.sub1, today=today_local())
    assert page.root == group.root
    assert page.nodes_count == 2
    assert page.revenue_total == Decimal("75.00")
    assert page.risk.high_risk_customers == 1
    assert page.risk.arrears == Decimal("30.00")


def test_group_page_links_every_node_to_its_360(group: Group, manager: User) -> None:
    account_team_member_add(
        root=group.root,
        user=cast(User, UserFactory(full_name="王团队")),
        team_role=TeamRole.SOLUTION_ARCHITECT,
    )
    client = Client()
    client.force_login(manager)
    response = client.get("/groups/G1/")
    assert response.status_code == 200
    html = response.content.decode()
    for node in (group.root, group.sub1, group.sub2, group.branch):
        number = group.customer(node).customer_number
        assert f'href="/customers/{number}/"' in html
    assert "王团队 · " in html
    assert str(manager) in html


def test_lines_of_business_read_in_the_users_language(
    group: Group, manager: User
) -> None:
    seed_rollups(group)
    bundle("BUN-A", "120.00", [(group.mobile, 2), (group.broadband, 1)])
    client = Client()
    client.force_login(manager)
    pages = ("/groups/G1/", "/groups/G1/proposal/")

    for language, mobile, broadband in (
        ("en", "Mobile postpaid", "Broadband"),
        ("zh-hans", "移动后付费", "宽带"),
    ):
        manager.language = language
        manager.save()
        for page in pages:
            html = client.get(page).content.decode()
            assert f"<td>{mobile}</td>" in html and f"<td>{broadband}</td>" in html
            assert "mobile_postpaid" not in html


def build_tree(manager: User, size: int) -> None:
    """A root and ``size - 1`` nodes under it, two levels deep, each with data."""
    root = group_root_create(node_number="T", customer=org(manager))
    parents = [root]
    for n in range(1, size):
        parent = parents[(n - 1) // 3]
        node = group_node_add(
            parent=parent, node_number=f"T-{n}", customer=org(), level="subsidiary"
        )
        parents.append(node)
    for node in parents:
        customer = Customer.objects.get(group_node=node)
        SubscriptionFactory(customer=customer)
        score(customer, 0.7)
        issue(customer, InteractionKind.COMPLAINT, InteractionOutcome.OPEN)


@pytest.mark.parametrize("size", [3, 30])
def test_group_page_queries_do_not_grow_with_the_tree(manager: User, size: int) -> None:
    build_tree(manager, size)
    client = Client()
    client.force_login(manager)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/groups/T/")
    assert response.status_code == 200
    # Each node in the tree, each open complaint shown (at most 20), the nav's search.
    links = size + min(size, ISSUES_SHOWN) + 1
    assert response.content.decode().count('href="/customers/') == links
    assert len(queries) == QUERY_BASELINE


def test_another_managers_group_is_a_404(group: Group) -> None:
    client, _ = staff()
    assert client.get("/groups/G1/").status_code == 404
    assert client.get("/groups/G1-S1/").status_code == 404
    assert client.get("/groups/G1/proposal/").status_code == 404
    assert client.get("/groups/NOPE/").status_code == 404


def test_marketer_gets_a_403(group: Group) -> None:
    client, _ = staff(Role.MARKETER)
    assert client.get("/groups/G1/").status_code == 403


# --- Visits and plans ----------------------------------------------------------------


def visit_post(client: Client, outcome: str, day: datetime.date) -> int:
    response = client.post(
        "/groups/G1-S1/visits/",
        {"visit_date": day.isoformat(), "outcome": outcome, "notes": "renewal talk"},
        headers={"HX-Request": "true"},
    )
    return response.status_code


def test_team_member_records_a_visit_against_the_root(group: Group) -> None:
    client, member = staff()
    account_team_member_add(
        root=group.root, user=member, team_role=TeamRole.SERVICE_MANAGER
    )
    today = today_local()
    assert visit_post(client, InteractionOutcome.ACCEPTED, today) == 200
    visit = Interaction.objects.get(kind=InteractionKind.VISIT)
    assert visit.customer == group.customer(group.root)
    assert (visit.outcome, visit.staff, visit.description) == (
        InteractionOutcome.ACCEPTED,
        member,
        "renewal talk",
    )
    assert timezone.localtime(visit.occurred_at).date() == today


def test_plan_is_an_open_visit_and_cannot_be_in_the_past(
    group: Group, manager: User
) -> None:
    client = Client()
    client.force_login(manager)
    today = today_local()
    next_week = today + datetime.timedelta(days=7)
    assert visit_post(client, InteractionOutcome.OPEN, next_week) == 200
    assert (
        visit_post(client, InteractionOutcome.OPEN, today - datetime.timedelta(1))
        == 200
    )
    plans = Interaction.objects.filter(
        kind=InteractionKind.VISIT, outcome=InteractionOutcome.OPEN
    )
    assert [timezone.localtime(p.occurred_at).date() for p in plans] == [next_week]
    assert "next_week" not in client.get("/groups/G1/").content.decode()


def test_a_visit_made_closes_the_plans_due_by_its_day(
    group: Group, manager: User
) -> None:
    client = Client()
    client.force_login(manager)
    today = today_local()
    next_week = today + datetime.timedelta(days=7)
    assert visit_post(client, InteractionOutcome.OPEN, today) == 200
    assert visit_post(client, InteractionOutcome.OPEN, next_week) == 200

    assert visit_post(client, InteractionOutcome.ACCEPTED, today) == 200

    visits = Interaction.objects.filter(kind=InteractionKind.VISIT)
    assert sorted(
        (timezone.localtime(v.occurred_at).date(), v.outcome) for v in visits
    ) == [
        (today, InteractionOutcome.ACCEPTED),
        (today, InteractionOutcome.CLOSED),
        (next_week, InteractionOutcome.OPEN),
    ]


def test_supervisor_and_administrator_may_record(group: Group, manager: User) -> None:
    supervisor_client, supervisor = staff(Role.SUPERVISOR)
    manager.supervisor = supervisor
    manager.save()
    admin_client, _ = staff(Role.ADMINISTRATOR)
    today = today_local()
    assert visit_post(supervisor_client, InteractionOutcome.CLOSED, today) == 200
    assert visit_post(admin_client, InteractionOutcome.CLOSED, today) == 200
    assert Interaction.objects.filter(kind=InteractionKind.VISIT).count() == 2


def test_others_may_not_record(group: Group) -> None:
    agent_client, _ = staff(Role.AGENT)
    other_client, _ = staff()
    today = today_local()
    # Agents find the group's customers, but the group page is for its managers.
    assert agent_client.get("/groups/G1/").status_code == 403
    assert visit_post(agent_client, InteractionOutcome.CLOSED, today) == 403
    assert visit_post(other_client, InteractionOutcome.CLOSED, today) == 404
    assert not Interaction.objects.filter(kind=InteractionKind.VISIT).exists()


# --- The bundle proposal -------------------------------------------------------------


def bundle(
    code: str, fee: str, parts: list[tuple[ProductOffering, int]], **fields: object
) -> None:
    offering = cast(
        ProductOffering,
        OfferingFactory(
            code=code, kind=OfferingKind.BUNDLE, monthly_fee=Decimal(fee), **fields
        ),
    )
    for component, quantity in parts:
        BundleComponent.objects.create(
            bundle=offering, component=component, quantity=quantity
        )


def test_proposal_covers_most_lines_for_less(group: Group, manager: User) -> None:
    seed_rollups(group)  # 3 mobile lines (174.00) and 1 broadband line (100.00)
    mobile, broadband = group.mobile, group.broadband
    bundle("BUN-A", "120.00", [(mobile, 2), (broadband, 1)])
    bundle("BUN-B", "150.00", [(mobile, 5)])
    bundle(
        "BUN-C",
        "10.00",
        [(mobile, 10), (broadband, 10)],
        lifecycle_status=LifecycleStatus.RETIRED,
    )
    _, proposal = group_proposal(group.root)
    assert proposal is not None
    # BUN-A: 2 units (3 mobile lines at 2 a unit) = 240.00, shared 100 : 116.
    assert (proposal.bundle.code, proposal.units, proposal.covered_lines) == (
        "BUN-A",
        2,
        4,
    )
    assert [
        (r.line_of_business, r.lines, r.current, r.proposed) for r in proposal.rows
    ] == [
        ("broadband", 1, Decimal("100.00"), Decimal("111.11")),
        ("mobile_postpaid", 3, Decimal("174.00"), Decimal("128.89")),
    ]
    assert (proposal.current_total, proposal.proposed_total, proposal.saving) == (
        Decimal("274.00"),
        Decimal("240.00"),
        Decimal("34.00"),
    )
    client = Client()
    client.force_login(manager)
    html = client.get("/groups/G1/proposal/").content.decode()
    assert "128.89" in html and "34.00" in html


def test_no_proposal_when_no_bundle_is_cheaper(group: Group) -> None:
    seed_rollups(group)
    bundle("BUN-X", "500.00", [(group.mobile, 5)])
    _, proposal = group_proposal(group.root)
    assert proposal is None


# --- The workbench -------------------------------------------------------------------


def test_workbench_orders_by_value_at_risk_within_scope(manager: User) -> None:
    x, y, z = org(manager), org(manager), org(manager)
    score(x, 0.5, clv=Decimal("1000.00"), churn_reasons=["contract ends"])
    score(y, 0.9, contribution=Decimal("300.00"))
    score(z, 0.1, clv=Decimal("10000.00"))
    score(org(cast(User, UserFactory())), 0.99, clv=Decimal("1000000.00"))
    issue(
        x,
        InteractionKind.VISIT,
        InteractionOutcome.OPEN,
        occurred_at=timezone.now() - datetime.timedelta(days=1),
        description="due",
    )
    issue(
        x,
        InteractionKind.VISIT,
        InteractionOutcome.OPEN,
        occurred_at=timezone.now() + datetime.timedelta(days=7),
        description="later",
    )
    issue(y, InteractionKind.COMPLAINT, InteractionOutcome.OPEN)
    client = Client()
    client.force_login(manager)
    response = client.get("/workbench/")
    assert response.status_code == 200
    bench = response.context["bench"]
    assert [s.customer for s in bench.at_risk] == [z, x, y]
    assert [round(s.value_at_risk, 2) for s in bench.at_risk] == [1000.0, 500.0, 270.0]
    assert bench.customers_count == 3
    assert [v.description for v in bench.visits_due] == ["due"]
    assert bench.complaints_count == 1
    assert "contract ends" in response.content.decode()


def test_supervisor_sees_reports_workbench(manager: User) -> None:
    client, supervisor = staff(Role.SUPERVISOR)
    manager.supervisor = supervisor
    manager.save()
    customer = org(manager)
    score(customer, 0.4, clv=Decimal("100.00"))
    bench = client.get("/workbench/").context["bench"]
    assert [s.customer for s in bench.at_risk] == [customer]


@pytest.mark.parametrize("role", [Role.AGENT, Role.MARKETER, Role.ADMINISTRATOR])
def test_workbench_is_for_managers_and_supervisors(role: str) -> None:
    client, _ = staff(role)
    assert client.get("/workbench/").status_code == 403


@pytest.mark.parametrize(
    ("language", "treatment", "other"),
    [
        (
            "zh-hans",
            "主动关怀：满意度回访，提前续约，优先解决未结投诉。",
            "Proactive care",
        ),
        (
            "en",
            "Proactive care: satisfaction call, early contract renewal, "
            "open complaints fixed first.",
            "主动关怀",
        ),
    ],
)
def test_workbench_treatment_reads_in_the_users_language(
    language: str, treatment: str, other: str
) -> None:
    client, manager = staff(language=language)
    score(
        org(manager),
        0.35,
        clv=Decimal("1000.00"),
        segment_code="care_key",
        treatment="Proactive care: satisfaction call, early contract renewal, "
        "open complaints fixed first.",
    )

    html = client.get("/workbench/").content.decode()

    assert f"<td>{treatment}</td></tr>" in html
    assert other not in html
