"""Staff identities. Customers are parties, never users."""

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A member of the operator's staff."""
