"""Python constructs of the platform, one subpackage per layer (cluster, infra, data, metrics, apps).

``base`` holds the helpers every layer shares (stack, hardened workload, ingress, backup schedule,
secret variables); layers import downward only: apps → metrics → data → infra → cluster → base.
This package lives under the top-level ``constructs/`` folder, which deliberately has no
``__init__.py``: a regular package named ``constructs`` would shadow the ``constructs`` library
that cdktf is built on (see the README, "Layout").
"""
