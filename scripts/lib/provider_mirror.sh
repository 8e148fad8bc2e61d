# shellcheck shell=bash
# Sourced by scripts/tofu-secrets.sh. On machines that cannot reach the OpenTofu registry, tofu takes
# the providers that scripts/install-opentofu.sh built from the Go module proxy: its mirror.tfrc (a
# filesystem_mirror for the built providers, direct for the rest) becomes TF_CLI_CONFIG_FILE.
# Never over a CLI config file of the user's (TF_CLI_CONFIG_FILE), nor when the registry answers (what users have).

# PLATFORM_REGISTRY_REACHABLE=yes|no skips the probe (tests; machines known to be offline).
registry_reachable() {
  case "${PLATFORM_REGISTRY_REACHABLE:-}" in yes) return 0 ;; no) return 1 ;; esac
  timeout 5 bash -c 'exec 3<>/dev/tcp/registry.opentofu.org/443' 2>/dev/null
}

use_provider_mirror() {
  # A TF_CLI_CONFIG_FILE that exists is the user's choice; one that does not gives tofu nothing (it warns).
  [ -z "${TF_CLI_CONFIG_FILE:-}" ] || [ ! -e "$TF_CLI_CONFIG_FILE" ] || return 0
  local rc=${PLATFORM_OPENTOFU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/platform-opentofu}/mirror.tfrc
  [ -f "$rc" ] || return 0
  registry_reachable && return 0
  export TF_CLI_CONFIG_FILE=$rc
  note "the OpenTofu registry is unreachable: providers come from the local mirror ($rc)"
}
