"""Sentry (optional): the official chart without any Bitnami subchart, plus the Kafka and
ClickHouse this project runs itself (see ``component.py``)."""

from platform_constructs.apps.sentry.component import DISABLED_SUBCHARTS, Sentry

__all__ = ["DISABLED_SUBCHARTS", "Sentry"]
