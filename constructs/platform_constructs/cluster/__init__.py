"""Prod only: the DigitalOcean cluster stack (VPC, DOKS, node pools, Spaces buckets, DNS zone)."""

from platform_constructs.cluster.stack import ClusterStack

__all__ = ["ClusterStack"]
