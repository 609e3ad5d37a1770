"""Telco CRM analytics: the pipeline library. Never imports Django.

It runs alone on DuckDB (the default) and, for the steps that support it, on Spark.
"""

__all__: list[str] = []
