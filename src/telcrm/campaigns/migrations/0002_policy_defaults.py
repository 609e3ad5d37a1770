"""The contact policy's defaults (docs/campaigns.md); administrators edit them.

- caps: at most 2 marketing calls in 30 days, 1 contact a day on any channel,
  4 SMS in 30 days, counting attempts across all campaigns;
- calling hours 09:00-12:00 and 14:00-20:00 local time, every day;
- cool-off: 60 days after a refusal, 14 days after a complaint is closed;
- the fixed-date statutory holidays; the lunar ones (Spring Festival, Qingming,
  Dragon Boat, Mid-Autumn) move every year and are added when the State Council
  publishes the calendar.
"""

import datetime

from django.db import migrations

CAPS = [
    ("Marketing calls, 30 days", "outbound_call", 30, 2),
    ("Any marketing contact, one day", "", 1, 1),
    ("Marketing SMS, 30 days", "sms", 30, 4),
]
WINDOWS = [(datetime.time(9), datetime.time(12)), (datetime.time(14), datetime.time(20))]
FIXED_HOLIDAYS = [
    (1, 1, "New Year's Day"),
    (5, 1, "Labour Day"),
    (10, 1, "National Day"),
    (10, 2, "National Day"),
    (10, 3, "National Day"),
]


def add_defaults(apps, schema_editor):
    FrequencyCap = apps.get_model("campaigns", "FrequencyCap")
    CallingWindow = apps.get_model("campaigns", "CallingWindow")
    Holiday = apps.get_model("campaigns", "Holiday")
    PolicySettings = apps.get_model("campaigns", "PolicySettings")
    for name, channel, days, most in CAPS:
        FrequencyCap.objects.create(
            name=name, channel=channel, window_days=days, max_attempts=most
        )
    for start, end in WINDOWS:
        CallingWindow.objects.create(province="", starts_at=start, ends_at=end)
    for year in range(2026, 2031):
        for month, day, name in FIXED_HOLIDAYS:
            Holiday.objects.create(date=datetime.date(year, month, day), name=name)
    PolicySettings.objects.create(id=1)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
