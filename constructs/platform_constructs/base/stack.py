"""``LayerStack``: one OpenTofu root module per layer and environment.

Each stack sets, explicitly and the same way everywhere:
* its backend (dev: local file under the repo's ``.state/``, outside ``cdktf.out/`` so a re-synth
  never loses it; prod: DigitalOcean Spaces, S3-compatible, with native lock file);
* OpenTofu native encryption of state and plans, enforced, keyed by the ``state_passphrase``
  secret (so a stack that reads another stack's state can decrypt it too);
* an ``app_env`` variable that must equal the environment it was synthesized for, so
  ``TF_VAR_app_env=dev`` against a prod stack fails at plan time;
* its providers (kubernetes + helm from the env's kubeconfig and context, or DigitalOcean).
"""

from __future__ import annotations

from typing import Literal

from cdktf import LocalBackend, S3Backend, TerraformStack, TerraformVariable
from constructs import Construct

from envs import PlatformConfig
from platform_constructs.secret_catalog import Format, lookup
from platform_constructs.versions import MIN_OPENTOFU_VERSION

Layer = Literal["cluster", "infra", "data", "metrics", "apps"]

# tofu runs inside cdktf.out/stacks/<stack>/: paths in the output are relative to that directory,
# so no absolute path of the synthesizing machine ever appears in the JSON.
STACK_DIR_TO_REPO = "../../.."


def stack_name(config: PlatformConfig, layer: str) -> str:
    return f"{config.env}-{layer}"


class LayerStack(TerraformStack):
    """Base class of every layer's stack; subclasses add their components in ``__init__``."""

    layer: Layer

    def __init__(self, scope: Construct, *, config: PlatformConfig) -> None:
        super().__init__(scope, stack_name(config, self.layer))
        self.config = config
        self._secrets: dict[str, TerraformVariable] = {}
        self._configure_backend()
        self._declare_app_env()
        self._configure_encryption()

    @staticmethod
    def of(construct: Construct) -> LayerStack:
        """The ``LayerStack`` that contains ``construct`` (components use it for ``secret()``)."""
        stack = TerraformStack.of(construct)
        if not isinstance(stack, LayerStack):
            raise TypeError(f"{construct.node.path} is not inside a LayerStack")
        return stack

    # -- secrets -----------------------------------------------------------------------------

    def secret(self, name: str) -> str:
        """Token of the sensitive variable ``name`` (declared once per stack, no default): the whole value.

        Values come only from ``scripts/tofu-secrets.sh`` (SOPS-decrypted ``.secrets.auto.tfvars.json``),
        never from code, so no secret is ever a literal in the synthesized JSON. The description and the
        validation blocks come from the one entry of ``name`` in ``secret_catalog.py``.
        """
        if name not in self._secrets:
            entry = lookup(name)
            self._secrets[name] = TerraformVariable(
                self, name, type="string", sensitive=True, nullable=False, description=entry.description,
                validation=entry.validations(),
            )
        return self._secrets[name].string_value

    def secret_in(self, name: str, fmt: Format) -> str:
        """The value of secret ``name`` as written into ``fmt`` (to splice into a larger string).

        Encoded by an OpenTofu expression when the format has one (valkey.conf quoting, URL
        percent-encoding, SHA-256); otherwise the value as is, which the catalog's rules for that
        format restrict at plan time. Refuses a format the catalog does not list for ``name``, so
        docs/secrets.md (generated from the catalog) says where every value goes.
        """
        entry = lookup(name)
        if fmt not in entry.formats:
            raise ValueError(
                f"secret {name!r} is written into {fmt.key!r}, which its entry in secret_catalog.py does not list: "
                "add the format there (it brings the rules that format needs)"
            )
        token = self.secret(name)
        return token if fmt.template is None else fmt.render(f"var.{name}")

    # -- plumbing ----------------------------------------------------------------------------

    def _configure_backend(self) -> None:
        state = self.config.state
        name = stack_name(self.config, self.layer)
        if state.backend == "local":
            LocalBackend(self, path=f"{STACK_DIR_TO_REPO}/.state/{name}.tfstate")
            return
        S3Backend(
            self,
            bucket=state.bucket,
            key=f"{name}.tfstate",
            region="us-east-1",  # any AWS region name passes validation; Spaces ignores it
            endpoints={"s3": f"https://{state.region}.digitaloceanspaces.com"},
            skip_credentials_validation=True,
            skip_region_validation=True,
            skip_requesting_account_id=True,
            skip_metadata_api_check=True,
            skip_s3_checksum=True,
        )
        self.add_override("terraform.backend.s3.use_lockfile", True)

    def _declare_app_env(self) -> None:
        env = self.config.env
        TerraformVariable(
            self,
            "app_env",
            type="string",
            default=env,
            description="Environment this stack was synthesized for; TF_VAR_app_env must match.",
            validation=[
                {
                    "condition": f'${{var.app_env == "{env}"}}',
                    "errorMessage": f"This stack belongs to APP_ENV={env}; re-synthesize with that APP_ENV.",
                }
            ],
        )

    def _configure_encryption(self) -> None:
        passphrase = self.secret("state_passphrase")
        # A bare reference, not "${...}": OpenTofu reads each target's method with hcl.AbsTraversalForExpr
        # (opentofu/opentofu v1.12.6 internal/encryption/targets.go) and rejects an interpolation.
        method = {"method": "method.aes_gcm.default", "enforced": True}
        self.add_override("terraform.required_version", f">= {MIN_OPENTOFU_VERSION}")
        self.add_override(
            "terraform.encryption",
            {
                "key_provider": {"pbkdf2": {"default": {"passphrase": passphrase}}},
                "method": {"aes_gcm": {"default": {"keys": "${key_provider.pbkdf2.default}"}}},
                "state": method,
                "plan": method,
                "remote_state_data_sources": {"default": {"method": method["method"]}},
            },
        )
