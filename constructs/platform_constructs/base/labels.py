"""Label keys and values shared by every layer (one spelling for each)."""

PLATFORM = "platform"
LAYER_LABEL = "platform/layer"
PART_OF_LABEL = "app.kubernetes.io/part-of"
NAME_LABEL = "app.kubernetes.io/name"
COMPONENT_LABEL = "app.kubernetes.io/component"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "opentofu"


def workload_labels(name: str, component: str | None = None) -> dict[str, str]:
    labels = {NAME_LABEL: name, PART_OF_LABEL: PLATFORM, MANAGED_BY_LABEL: MANAGED_BY}
    if component:
        labels[COMPONENT_LABEL] = component
    return labels
