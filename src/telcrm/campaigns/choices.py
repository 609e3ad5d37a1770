"""Choice sets of the campaigns app (campaigns, the contact policy, retention tasks)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CampaignGoal(models.TextChoices):
    RETENTION = "retention", _("Retention")
    CROSS_SELL = "cross_sell", _("Cross-sell")
    UPSELL = "upsell", _("Upsell")
    WIN_BACK = "win_back", _("Win-back")
    SATISFACTION = "satisfaction", _("Satisfaction")


class CampaignChannel(models.TextChoices):
    OUTBOUND_CALL = "outbound_call", _("Outbound call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    BUSINESS_HALL = "business_hall", _("Business hall")


class CampaignStatus(models.TextChoices):
    """draft -> submitted -> approved | rejected; approved -> pilot -> running ->
    completed; cancelled from any state before completed."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    PILOT = "pilot", _("Pilot")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


# The states in which a campaign may contact anyone (rule 1).
ACTIVE_STATUSES = (CampaignStatus.PILOT, CampaignStatus.RUNNING)


class MemberGroup(models.TextChoices):
    """Where the random assignment put a target-list member."""

    PILOT = "pilot", _("Pilot")
    # "Treatment" alone is a segment's treatment (what to do about it) elsewhere.
    TREATMENT = "treatment", pgettext_lazy("campaign group", "Treatment")
    CONTROL = "control", _("Control (never contacted)")


class MemberState(models.TextChoices):
    PENDING = "pending", _("Waiting for a call list")
    QUEUED = "queued", _("On a call list")
    DONE = "done", _("Done")
    HELD_OUT = "held_out", _("Held out (control)")


class ContactOutcome(models.TextChoices):
    """One attempt's result; ``reserved`` until the agent records it."""

    RESERVED = "reserved", _("In progress")
    NO_ANSWER = "no_answer", _("No answer")
    REFUSED = "refused", _("Refused")
    ACCEPTED = "accepted", _("Accepted")
    CALL_BACK = "call_back", _("Call back")
    OPT_OUT = "opt_out", _("Opt-out")
    SENT = "sent", _("Message sent")


# Outcomes after which the member is not called again in this campaign.
FINAL_OUTCOMES = (
    ContactOutcome.REFUSED,
    ContactOutcome.ACCEPTED,
    ContactOutcome.OPT_OUT,
    ContactOutcome.SENT,
)


class PolicyRule(models.TextChoices):
    """The contact policy's rules in evaluation order (docs/campaigns.md); the first
    that denies decides, ``allowed`` when none does."""

    CAMPAIGN_ACTIVE = "campaign_active", _("1 Campaign approved and active")
    SUPPRESSION = "suppression", _("2 Global suppression (opt-out, do-not-call)")
    CONSENT = "consent", _("4 Consent for this purpose and channel")
    USAGE_DATA_CONSENT = "usage_data_consent", _("5 Consent to use call records")
    COOL_OFF = "cool_off", _("6 Cool-off after a refusal or complaint")
    CALLING_HOURS = "calling_hours", _("7 Calling hours and holidays")
    FREQUENCY_CAP = "frequency_cap", _("8 Frequency cap")
    PRIORITY = "priority", _("10 Priority of other campaigns")
    ALLOWED = "allowed", _("Allowed")


class DecisionStage(models.TextChoices):
    LIST_BUILD = "list_build", _("Call-list build")
    CONTACT = "contact", _("Moment of contact")


class SuppressionKind(models.TextChoices):
    OPT_OUT = "opt_out", _("Opt-out from marketing")
    OBJECTION = "objection", _("Objection to processing")


class OptOutSource(models.TextChoices):
    """Every way a customer can say "stop" (each takes effect at once)."""

    AGENT = "agent", _("Agent (call console)")
    IVR = "ivr", _("IVR keypress")
    SMS_REPLY = "sms_reply", _("SMS reply (TD / 退订)")
    WEB = "web", _("Web")
    API = "api", _("API")
    BUSINESS_HALL = "business_hall", _("Business hall")


class TriggerKind(models.TextChoices):
    CONTRACT_END = "contract_end", _("Contract end approaching")
    USAGE_DROP = "usage_drop", _("Usage drop")
    COMPLAINT = "complaint", _("Complaint from a valuable customer")
    INTENT_TO_LEAVE = "intent_to_leave", _("Intent to leave")
    PORT_OUT_QUERY = "port_out_query", _("Port-out query")
    BILL_SHOCK = "bill_shock", _("Bill shock")


class TaskQueue(models.TextChoices):
    """Who works a retention task: the key account's manager, or the retention team
    (unassigned until an agent takes it)."""

    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    RETENTION_TEAM = "retention_team", _("Retention team")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class TaskOutcome(models.TextChoices):
    STAYED = "stayed", _("Customer stays")
    LEFT = "left", _("Customer leaves")
    NOT_REACHED = "not_reached", _("Not reached")
    NONE = "", _("—")
