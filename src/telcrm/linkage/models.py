"""Identity linkage: scored record pairs (the evidence) and the links made from them.

A record is one source system's view of a party: ``crm:<cust_no>``,
``billing:<acct_no>`` or ``broadband:<bb_cust_id>``. A link either merges a duplicate
customer into another (every row that pointed at the duplicate is moved) or attaches
a billing account that had no customer. Each link keeps the list of rows it moved, so
undoing it puts back exactly what was there.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from telcrm.linkage.choices import Decision, LinkKind, PairStatus


class LinkageRun(models.Model):
    """One run of ``telcrm linkage run``."""

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    operator = models.CharField(_("operator"), max_length=150)
    records = models.PositiveIntegerField(_("records"), default=0)
    pairs = models.PositiveIntegerField(_("scored pairs"), default=0)
    links_made = models.PositiveIntegerField(_("links made"), default=0)
    review_pending = models.PositiveIntegerField(_("pairs for review"), default=0)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("linkage run")

    def __str__(self) -> str:
        return f"linkage #{self.pk} {self.started_at:%Y-%m-%d %H:%M}"


class MatchPair(models.Model):
    """Two records the model scored, with the evidence: weight, probability and the
    comparison level each field reached."""

    run = models.ForeignKey(LinkageRun, on_delete=models.PROTECT, related_name="+")
    record_l = models.CharField(_("record"), max_length=64)
    record_r = models.CharField(_("other record"), max_length=64)
    match_weight = models.FloatField(_("match weight"))
    match_probability = models.FloatField(_("match probability"))
    evidence = models.JSONField(_("evidence"), help_text=_("Field -> level reached."))
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PairStatus.choices,
        default=PairStatus.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-match_probability", "record_l"]
        verbose_name = _("match pair")
        indexes = [models.Index(fields=["status", "decision"], name="pair_queue")]
        constraints = [
            models.UniqueConstraint(
                fields=["record_l", "record_r"],
                name="pair_once",
                violation_error_message=_("This pair is already scored."),
            ),
            models.CheckConstraint(
                condition=Q(record_l__lt=models.F("record_r")),
                name="pair_ordered",
                violation_error_message=_("A pair is stored in record order."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_l} ~ {self.record_r} ({self.match_probability:.3f})"


class IdentityLink(models.Model):
    """A merge or an attachment, with the rows it moved (to undo it exactly)."""

    kind = models.CharField(_("kind"), max_length=10, choices=LinkKind.choices)
    survivor = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+"
    )
    merged = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    pair = models.ForeignKey(
        MatchPair, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    moves = models.JSONField(
        _("moved rows"),
        help_text=_("[model, field, previous value, [row ids]] for each move."),
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        ordering = ["-linked_at", "-id"]
        verbose_name = _("identity link")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=LinkKind.MERGE, merged__isnull=False)
                | Q(kind=LinkKind.ATTACH, billing_account__isnull=False),
                name="link_has_its_object",
                violation_error_message=_(
                    "A merge names the merged customer; an attachment its account."
                ),
            )
        ]

    def __str__(self) -> str:
        other = self.merged or self.billing_account
        return f"{self.kind}: {other} -> {self.survivor}"
