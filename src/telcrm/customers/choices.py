"""Choice sets of the customers app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed (churned)")


class AcquisitionChannel(models.TextChoices):
    BUSINESS_HALL = "business_hall", _("Business hall")
    CALL_CENTRE = "call_centre", _("Call centre")
    WEB = "web", _("Web")
    APP = "app", _("App")
    AGENT_DEALER = "agent_dealer", _("Agent / dealer")
    DIRECT_SALES = "direct_sales", _("Direct sales")


class SourceSystem(models.TextChoices):
    """The silos a customer's records come from (docs/silos.md)."""

    CRM = "crm", _("CRM")
    BILLING = "billing", _("Billing")
    BROADBAND = "broadband", _("Broadband")


class InteractionChannel(models.TextChoices):
    BUSINESS_HALL = "business_hall", _("Business hall")
    CALL_CENTRE = "call_centre", _("Call centre")
    WEB = "web", _("Web")
    APP = "app", _("App")
    EMAIL = "email", _("E-mail")
    FAX = "fax", _("Fax")
    OUTBOUND = "outbound", _("Outbound call")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class InteractionKind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    SERVICE_REQUEST = "service_request", _("Service request")
    INQUIRY = "inquiry", _("Inquiry")
    RETENTION = "retention", _("Retention contact")
    SALES = "sales", _("Sales contact")
    VISIT = "visit", _("Account-manager visit")


class InteractionReason(models.TextChoices):
    """Why the customer got in touch (``complaints/tickets.csv`` categories)."""

    BILLING = "billing", _("Billing")
    NETWORK_QUALITY = "network_quality", _("Network quality")
    SERVICE_ATTITUDE = "service_attitude", _("Service attitude")
    PRODUCT = "product", _("Product")
    PORT_OUT_QUERY = "port_out_query", _("Port-out query")
    BROADBAND_FAULT = "broadband_fault", _("Broadband fault")
    OTHER = "other", _("Other")


class InteractionOutcome(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    NO_CONTACT = "no_contact", _("No contact made")
    ACCEPTED = "accepted", _("Offer accepted")
    DECLINED = "declined", _("Offer declined")


class ConsentPurpose(models.TextChoices):
    MARKETING = "marketing", _("Direct marketing")
    PROFILING = "profiling", _("Profiling from usage (CDR) data")
    THIRD_PARTY = "third_party", _("Sharing with partners")


class ConsentChannel(models.TextChoices):
    PHONE_CALL = "phone_call", _("Phone call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    APP_PUSH = "app_push", _("App notification")
    ANY = "any", _("Any channel")


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", _("Granted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ConsentSource(models.TextChoices):
    BUSINESS_HALL = "business_hall", _("Business hall (signed form)")
    CALL_CENTRE = "call_centre", _("Call centre (recorded call)")
    WEB = "web", _("Web")
    APP = "app", _("App")
    SMS_REPLY = "sms_reply", _("SMS reply")
    IMPORT = "import", _("Imported from a source system")


class DoNotCallSource(models.TextChoices):
    CUSTOMER_REQUEST = "customer_request", _("Customer request")
    COMPLAINT = "complaint", _("Complaint")
    REGULATOR = "regulator", _("Regulator list")
    INTERNAL = "internal", _("Internal decision")
