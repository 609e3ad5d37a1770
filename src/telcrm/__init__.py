"""Telco CRM: the Django project (operational store, web app, API, operator commands)."""

__version__ = "0.1.0"
