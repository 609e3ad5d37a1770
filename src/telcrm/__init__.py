"""Telco CRM: the Django project (operational store, web app, API, commands)."""

__version__ = "0.1.0"
