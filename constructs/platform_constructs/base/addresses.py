"""Resource addresses for the meta-arguments that take a bare reference: ``depends_on`` and
``lifecycle.replace_triggered_by``.

In OpenTofu's JSON syntax these are strings holding a reference (``"kubernetes_secret_v1.x"``);
an interpolation (``"${kubernetes_secret_v1.x}"``, what ``resource.fqn`` and a resource object in
``TerraformResourceLifecycle(replace_triggered_by=...)`` synthesize to) is rejected: "A single
static variable reference is required" (opentofu/opentofu v1.12.6 internal/configs/depends_on.go:
``hcl.AbsTraversalForExpr``; internal/configs/resource.go ``decodeReplaceTriggeredBy``:
``hcl2shim.ConvertJSONExpressionToHCL`` parses the string as a native expression, where ``$`` is
an invalid character). The synth-time rule ``rules.static_references`` refuses any ``${`` there;
``tests/opentofu`` runs tofu over every stack.
"""

from __future__ import annotations

from cdktf import TerraformResource


def address(resource: TerraformResource) -> str:
    """``<type>.<name>`` of a resource in its stack, as depends_on / replace_triggered_by want it."""
    return f"{resource.terraform_resource_type}.{resource.friendly_unique_id}"
