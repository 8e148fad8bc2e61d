"""The framework floor: import the three prebuilt bindings the usual way and synthesize a
handful of resources. Every other benchmark is reported as a ratio to this."""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "constructs"))
from platform_constructs.runtime import configure_jsii

configure_jsii(light=False)  # same Node and jsii cache as the real run, but eager imports

import cdktf  # noqa: E402
import cdktf_cdktf_provider_digitalocean  # noqa: E402, F401
import cdktf_cdktf_provider_helm  # noqa: E402, F401
import cdktf_cdktf_provider_kubernetes  # noqa: E402, F401
from cdktf_cdktf_provider_helm.provider import HelmProvider  # noqa: E402
from cdktf_cdktf_provider_helm.release import Release  # noqa: E402
from cdktf_cdktf_provider_kubernetes.namespace_v1 import NamespaceV1  # noqa: E402
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider  # noqa: E402

with tempfile.TemporaryDirectory() as out:
    app = cdktf.App(outdir=out)
    stack = cdktf.TerraformStack(app, "floor")
    cdktf.LocalBackend(stack, path="floor.tfstate")
    KubernetesProvider(stack, "kubernetes", config_path="~/.kube/config")
    HelmProvider(stack, "helm", kubernetes={"config_path": "~/.kube/config"})
    for index in range(5):
        NamespaceV1(stack, f"ns{index}", metadata={"name": f"ns{index}"})
    Release(stack, "release", name="demo", chart="demo", repository="https://charts.example.org", version="1.0.0")
    app.synth()
