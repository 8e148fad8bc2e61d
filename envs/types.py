"""Constrained field types shared by every config section (validated by pydantic)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

_DNS_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"


def _check_domain(value: str) -> str:
    if len(value) > 253:
        raise ValueError("a domain name is at most 253 characters")
    labels = value.split(".")
    if len(labels) < 2:
        raise ValueError("expected a domain with at least two labels, e.g. example.org")
    import re

    for label in labels:
        if not re.fullmatch(_DNS_LABEL, label):
            raise ValueError(
                f"label {label!r} is not a lowercase DNS label (a-z, 0-9, '-', 1-63 chars, "
                "no leading/trailing '-'); write the domain like example.org"
            )
    return value


DomainName = Annotated[str, AfterValidator(_check_domain)]
"""A lowercase fully qualified domain name without trailing dot, e.g. ``fullfrontend.be``."""

DnsLabel = Annotated[str, StringConstraints(pattern=rf"^{_DNS_LABEL}$")]
"""A Kubernetes/DNS name: lowercase alphanumerics and '-', at most 63 characters."""

Quantity = Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$")]
"""A Kubernetes resource quantity such as ``256Mi``, ``10Gi`` or ``250m``."""

Duration = Annotated[str, StringConstraints(pattern=r"^([0-9]+h)?([0-9]+m)?([0-9]+s)?$", min_length=2)]
"""A Go duration as Velero and Prometheus take it, e.g. ``720h``."""

Cron = Annotated[str, StringConstraints(pattern=r"^(\S+\s){4}\S+$")]
"""A five-field cron expression, e.g. ``0 3 * * *``."""

Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class Section(BaseModel):
    """Base of every config model: immutable, strict types, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
