"""Call-graph features per customer and month: who talks to whom on the network.

An edge joins two customers of the operator when one called or texted the other (voice
and SMS CDRs; both numbers held by customers at the time, mapped through ``lines``).
Edges are undirected: A calling B and B calling A add to the same pair. A customer's
own lines calling each other are not an edge.

For month M the graph is the edges of M-2, M-1 and M (the last 3 months), and:

* ``on_net_contacts_3m``: the distinct other customers one talked to;
* ``churned_contacts_3m`` and ``churned_contact_share``: how many of them, and which
  share, closed (``customers.status == 'closed'``) with a ``status_date`` in M-2..M;
* ``contact_events_3m``: calls and SMS with those contacts (the weighted degree);
* ``influence``: PageRank on the weighted graph of the 3 months, a few power
  iterations written as joins (portable to Spark), scaled so that the mean node of
  a month scores 1.

Point in time: a row for month M reads only CDRs dated in M-2..M and churn dated by
the end of M.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from telcrm_pipeline.features.customer import calendar

DAMPING = 0.85
PAGERANK_ITERATIONS = 5


def contact_edges(cdr: ir.Table, lines: ir.Table) -> ir.Table:
    """Per calendar month, each (customer, contact) pair with its number of calls and
    SMS, both directions (``customer``, ``contact``, ``month``, ``events``).

    ``lines``: ``service_no``, ``customer``, ``start_date``, ``end_date`` (null while
    active); a number belongs to whoever held it during the month.
    """
    talk = cdr.filter(cdr.record_type.isin(("voice", "sms")))
    pairs = talk.group_by(
        caller=talk.caller,
        callee=talk.callee,
        month=talk.start_time.truncate("M").cast("date"),
    ).aggregate(events=talk.count())
    callers = holder_of(pairs, lines, "caller").rename(customer="holder")
    both = holder_of(callers, lines, "callee").rename(contact="holder")
    on_net = both.filter(both.customer != both.contact)
    forward = on_net.select("customer", "contact", "month", "events")
    backward = on_net.select(
        customer=on_net.contact,
        contact=on_net.customer,
        month=on_net.month,
        events=on_net.events,
    )
    undirected = forward.union(backward, distinct=False)
    return undirected.group_by(["customer", "contact", "month"]).aggregate(
        events=undirected.events.sum()
    )


def holder_of(pairs: ir.Table, lines: ir.Table, number: str) -> ir.Table:
    """``pairs`` with ``holder``: the customer who held the number in column ``number``
    during the pair's month (rows whose number no customer held drop out)."""
    pairs = pairs.view()
    held = lines.select(
        held_no="service_no", holder="customer", held_from="start_date",
        held_to="end_date",
    )  # fmt: skip
    month_end = pairs.month + ibis.interval(months=1)
    joined = pairs.join(
        held,
        [
            pairs[number] == held.held_no,
            held.held_from < month_end,
            held.held_to.isnull() | (held.held_to >= pairs.month),
        ],
    )
    return joined.drop("held_no", "held_from", "held_to")


def windowed_edges(edges: ir.Table, months: ir.Table) -> ir.Table:
    """For each month M, the pairs of M-2..M with their summed events."""
    cal = calendar(months).select("month", "window_start")
    dated = edges.rename(edge_month="month")
    inside = cal.join(
        dated,
        [dated.edge_month >= cal.window_start, dated.edge_month <= cal.month],
    )
    return inside.group_by(["month", "customer", "contact"]).aggregate(
        events=inside.events.sum()
    )


def recent_churners(customers: ir.Table, months: ir.Table) -> ir.Table:
    """(month, customer) for customers closed in M-2..M: churn known by the end of M."""
    cal = calendar(months)
    closed = customers.filter(
        (customers.status == "closed") & customers.status_date.notnull()
    )
    left = cal.join(
        closed,
        [
            closed.status_date >= cal.window_start,
            closed.status_date < cal.next_month,
        ],
    )
    return left.select(churned_month="month", churned="customer").distinct()


def pagerank(window: ir.Table, iterations: int = PAGERANK_ITERATIONS) -> ir.Table:
    """PageRank per (month, customer) on each month's weighted graph, scaled so the
    ranks of a month average 1 (``influence``).

    The graph is symmetric, so every node has out-edges (no dangling mass).
    """
    strength = window.group_by(["month", "customer"]).aggregate(
        strength=window.events.sum()
    )
    weighted = window.join(strength, ["month", "customer"])
    transitions = weighted.select(
        "month", "customer", "contact",
        share=weighted.events.cast("float64") / weighted.strength,
    )  # fmt: skip
    rank = strength.select("month", "customer", rank=ibis.literal(1.0))
    for _ in range(iterations):
        rank = rank_step(transitions, rank)
    return rank.select("month", "customer", influence=rank.rank)


def rank_step(transitions: ir.Table, rank: ir.Table) -> ir.Table:
    """One power iteration with ranks scaled to mean 1:
    r'(b) = (1 - d) + d * sum over a of r(a) * share(a -> b)."""
    transitions = transitions.view()
    rank = rank.view()
    flow = transitions.join(
        rank,
        [
            transitions.month == rank.month,
            transitions.customer == rank.customer,
        ],
    )
    received = flow.group_by(month=flow.month, customer=flow.contact).aggregate(
        inflow=(flow.rank * flow.share).sum()
    )
    return received.select(
        "month", "customer", rank=(1 - DAMPING) + DAMPING * received.inflow
    )


def graph_month_features(
    cdr: ir.Table, lines: ir.Table, customers: ir.Table, months: ir.Table
) -> ir.Table:
    """Per customer with on-net contacts in M-2..M, and month M, the call-graph
    features of the module docstring (customers without contacts have no row)."""
    window = windowed_edges(contact_edges(cdr, lines), months)
    churners = recent_churners(customers, months)
    marked = window.left_join(
        churners,
        [
            window.month == churners.churned_month,
            window.contact == churners.churned,
        ],
    )
    gone = marked.churned.notnull()
    degree = marked.group_by(["customer", "month"]).aggregate(
        on_net_contacts_3m=marked.count(),
        churned_contacts_3m=marked.count(where=gone),
        contact_events_3m=marked.events.sum(),
        churned_contact_events_3m=marked.events.sum(where=gone),
    )
    degree = degree.mutate(
        churned_contact_share=degree.churned_contacts_3m.cast("float64")
        / degree.on_net_contacts_3m,
        churned_contact_events_3m=degree.churned_contact_events_3m.fill_null(0),
    )
    ranks = pagerank(window)
    return degree.join(ranks, ["customer", "month"])
