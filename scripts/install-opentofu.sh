#!/usr/bin/env bash
# OpenTofu and the three providers for the tests (tests/opentofu) and the wrapper, in a cache OUTSIDE
# the repo keyed by version, so only the first run on a machine builds anything:
#
#   ${PLATFORM_OPENTOFU_CACHE:-${XDG_CACHE_HOME:-~/.cache}/platform-opentofu}/
#     tofu/<version>/tofu                    OpenTofu built from the Go module proxy (when no tofu fits on PATH)
#     mirror/registry.opentofu.org/<ns>/<type>/<version>/<os_arch>/terraform-provider-<type>_v<version>
#                                            providers built from the proxy at their tag's commit
#     mirror.tfrc                            CLI config: that mirror for the built providers, the registry for the rest
#     refused/<type>-<version>.txt           what the proxy answered when it refused a provider (retried after a day)
#     schema-provider/<hash>/, stand-in/<hash>/   schema-only stand-ins for refused providers (tests only)
#     setup-<hash>.json                      what this run found or built (read by --print)
#
# OpenTofu: a `tofu` on PATH is used when it is >= MIN_OPENTOFU_VERSION; otherwise v$OPENTOFU_BUILD is
# built as the MAIN module from the downloaded module source (its go.mod has a replace directive,
# so `go install ...@version` refuses it). Providers: their tags (v2.38.0…) lack the /v2 module
# suffix, so the proxy is asked for the tag's commit. Where the proxy refuses one, the refusal is
# recorded and printed, and the tests use a schema-only stand-in (scripts/opentofu/schema-provider)
# serving the schema read back from the provider's cdktf binding (scripts/lib/provider_schema.py):
# `tofu validate` and `tofu test` with mock_provider need nothing else from a provider.
# Pins: constructs/platform_constructs/versions.py (OPENTOFU_BUILD, PROVIDERS, PROVIDER_SOURCES).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/install-opentofu.sh [--print]

Finds or builds OpenTofu and the pinned providers into the cache
${PLATFORM_OPENTOFU_CACHE:-${XDG_CACHE_HOME:-~/.cache}/platform-opentofu} (needs Go and the Go module
proxy the first time; later runs reuse the cache).
  --print   print what is installed (JSON: tofu, CLI configs, each provider built or stand-in) and
            build nothing; exit 1 when the cache does not match the current pins
USAGE
}

print_only=0
for arg in "$@"; do
  case "$arg" in
    --print) print_only=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install-opentofu.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=$root/.venv/bin/python
[ -x "$python" ] || { echo "install-opentofu.sh: $python missing: run scripts/setup.sh first" >&2; exit 1; }
cache=${PLATFORM_OPENTOFU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/platform-opentofu}
note() { echo "opentofu: $*" >&2; }

# Pins, one provider a line: type|address|module|tag|commit|version|binding, after two lines
# MIN_OPENTOFU_VERSION and OPENTOFU_BUILD.
pins=$(cd "$root/constructs" && "$python" -c '
from platform_constructs import versions as v
print(v.MIN_OPENTOFU_VERSION); print(v.OPENTOFU_BUILD)
for name, s in v.PROVIDER_SOURCES.items():
    print("|".join((name, s.address, s.module, s.tag, s.commit, v.PROVIDERS[name], s.binding)))
')
min_version=$(sed -n 1p <<<"$pins")
tofu_build=$(sed -n 2p <<<"$pins")
providers=$(sed -n '3,$p' <<<"$pins")
platform=$(go env GOOS 2>/dev/null || echo linux)_$(go env GOARCH 2>/dev/null || uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')

# The stand-ins depend on their Go source, the schema reader and the binding versions.
stand_in_hash=$(cat "$root"/scripts/opentofu/schema-provider/{main.go,go.mod,go.sum} "$root/scripts/lib/provider_schema.py" \
  <(grep -i 'cdktf-cdktf-provider' "$root/requirements.lock") | sha256sum | cut -c1-16)
set_key=$(printf '%s\n' "$pins" "$stand_in_hash" "$platform" | sha256sum | cut -c1-16)
record=$cache/setup-$set_key.json

# version_fits "x.y.z[-pre]": true when >= min_version and not a pre-release.
version_fits() {
  local have=$1 want i
  [[ $have =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || return 1
  local -a h=("${BASH_REMATCH[@]:1:3}") w
  IFS=. read -r -a w <<<"$min_version"
  for i in 0 1 2; do
    (( 10#${h[i]} == 10#${w[i]} )) || { (( 10#${h[i]} > 10#${w[i]} )); return; }
  done
}

tofu_version() {  # tofu_version BIN: prints x.y.z[-pre]
  # (a missing ~/.terraformrc makes tofu print a warning before the JSON: parse from the first brace)
  "$1" version -json 2>/dev/null | "$python" -c 'import json,sys; t=sys.stdin.read(); print(json.loads(t[t.index("{"):])["terraform_version"])'
}

if [ "$print_only" = 1 ]; then
  [ -f "$record" ] || { echo "install-opentofu.sh: no OpenTofu set-up for the current pins in $cache: run scripts/setup.sh --with-opentofu" >&2; exit 1; }
  "$python" - "$record" <<'PY'
import json, os, sys
data = json.load(open(sys.argv[1]))
missing = [p for p in (data["tofu"], data["test_cli_config"]) if not os.path.exists(p)]
if missing:
    sys.exit(f"install-opentofu.sh: {missing} vanished from the cache: run scripts/setup.sh --with-opentofu")
print(json.dumps(data, indent=1))
PY
  exit 0
fi

need_go() {
  command -v go >/dev/null 2>&1 || { echo "install-opentofu.sh: Go is needed to build $1 (the Go toolchain from go.dev or Debian's golang)" >&2; exit 1; }
}

# module_dir MODULE@VERSION: downloads through the module proxy, prints the (read-only) source dir.
module_dir() {
  local out
  out=$(GOFLAGS="-modcacherw -buildvcs=false" go mod download -json "$1" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
  "$python" -c 'import json,sys; d=json.loads(sys.stdin.read()); sys.exit(d.get("Error")) if d.get("Error") else print(d["Dir"])' <<<"$out"
}

# build_main MODULE@VERSION OUT [ldflags]: builds the module's root package as the main module.
build_main() {
  local src work
  src=$(module_dir "$1") || return 1
  work=$(mktemp -d)
  cp -R "$src/." "$work/" && chmod -R u+w "$work"
  # -trimpath: no path of this machine in the binary; the module's own go.sum and replace directives apply.
  (cd "$work" && GOFLAGS="-modcacherw -buildvcs=false" go build -trimpath -ldflags "-s -w ${3:-}" -o "$work/.out" "${4:-.}") \
    || { rm -rf "$work"; return 1; }
  mv -f "$work/.out" "$2"  # one rename: a concurrent run never sees half a binary
  rm -rf "$work"
}

mkdir -p "$cache"
started=$SECONDS

# --- OpenTofu ---------------------------------------------------------------------------------
tofu_bin="" tofu_from=""
if path_tofu=$(command -v tofu 2>/dev/null) && version_fits "$(tofu_version "$path_tofu" || true)"; then
  tofu_bin=$path_tofu tofu_from=PATH
else
  tofu_bin=$cache/tofu/$tofu_build/tofu tofu_from=built
  if [ ! -x "$tofu_bin" ]; then
    need_go "OpenTofu $tofu_build"
    note "building OpenTofu $tofu_build from the Go module proxy (first run on this machine: about 5-20 min)"
    mkdir -p "$(dirname "$tofu_bin")"
    build_main "github.com/opentofu/opentofu@v$tofu_build" "$tofu_bin" \
      "-X github.com/opentofu/opentofu/version.dev=no" ./cmd/tofu \
      || { echo "install-opentofu.sh: could not build OpenTofu $tofu_build (see above)" >&2; exit 1; }
  fi
fi
have=$(tofu_version "$tofu_bin" || true)
version_fits "$have" || { echo "install-opentofu.sh: $tofu_bin reports '$have', need >= $min_version" >&2; exit 1; }

# --- providers: real builds where the proxy serves them ---------------------------------------
mirror=$cache/mirror
built=() stand_ins=() entries=()
while IFS='|' read -r name address module tag commit version binding; do
  dir=$mirror/registry.opentofu.org/$address/$version/$platform
  bin=$dir/terraform-provider-${name}_v$version
  refusal=$cache/refused/$name-$version.txt
  if [ ! -x "$bin" ] && { [ ! -f "$refusal" ] || [ -n "$(find "$refusal" -mmin +1440)" ]; }; then
    need_go "the $name provider"
    note "building provider $address $version ($module@$commit)"
    mkdir -p "$dir" "$cache/refused"
    if log=$(build_main "$module@$commit" "$bin" 2>&1); then
      rm -f "$refusal"
    else
      rmdir -p --ignore-fail-on-non-empty "$dir" 2>/dev/null || true
      printf 'module proxy refused %s@%s (tag %s, provider %s %s):\n%s\n' "$module" "$commit" "$tag" "$address" "$version" "$log" >"$refusal"
    fi
  fi
  if [ -x "$bin" ]; then
    built+=("$name")
    entries+=("$name|$address|$version|built|$bin|")
  else
    note "FINDING: the Go module proxy refuses $module@$commit ($address $tag): tests use a schema-only stand-in (answer in $refusal)"
    stand_ins+=("$name")
    entries+=("$name|$address|$version|stand-in||$refusal")
  fi
done <<<"$providers"

mirror_rc=""
if [ ${#built[@]} -gt 0 ]; then
  # For the wrapper when the registry is unreachable: built providers from the mirror, the rest direct.
  mirror_rc=$cache/mirror.tfrc
  includes=$(for e in "${entries[@]}"; do IFS='|' read -r n a _ k _ _ <<<"$e"; [ "$k" = built ] && printf '"registry.opentofu.org/%s", ' "$a"; done)
  cat >"$mirror_rc.$$" <<EOF
# Written by scripts/install-opentofu.sh: providers built from the Go module proxy, for machines without
# the OpenTofu registry; everything else from the registry.
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = [${includes%, }]
  }
  direct {
    exclude = [${includes%, }]
  }
}
EOF
  mv -f "$mirror_rc.$$" "$mirror_rc"
fi

# --- stand-ins and the tests' mirror ----------------------------------------------------------
test_mirror=$cache/test-mirror/$(printf '%s\n' "$set_key" "${entries[@]}" | sha256sum | cut -c1-16)
if [ ! -d "$test_mirror" ]; then
  tmp_mirror=$(mktemp -d "$cache/test-mirror.XXXXXX")
  if [ ${#stand_ins[@]} -gt 0 ]; then
    server=$cache/schema-provider/$stand_in_hash/schema-provider
    if [ ! -x "$server" ]; then
      need_go "the schema-only stand-in provider"
      note "building the schema-only stand-in provider (scripts/opentofu/schema-provider)"
      mkdir -p "$(dirname "$server")"
      (cd "$root/scripts/opentofu/schema-provider" && GOFLAGS="-modcacherw -buildvcs=false" go build -trimpath -ldflags "-s -w" -o "$server.$$" .) \
        || { echo "install-opentofu.sh: could not build scripts/opentofu/schema-provider (see above)" >&2; exit 1; }
      mv -f "$server.$$" "$server"
    fi
  fi
  for e in "${entries[@]}"; do
    IFS='|' read -r name address version kind bin _ <<<"$e"
    dir=$tmp_mirror/registry.opentofu.org/$address/$version/$platform
    mkdir -p "$dir"
    if [ "$kind" = built ]; then
      ln -s "$bin" "$dir/terraform-provider-${name}_v$version"
    else
      binding=$(grep "^$name|" <<<"$providers" | cut -d'|' -f7)
      "$python" "$root/scripts/lib/provider_schema.py" --package "$binding" --provider "$name" --version "$version" \
        --out "$dir/schema.json" || exit 1
      # A copy, not a symlink: the stand-in reads schema.json beside its resolved executable.
      ln "$server" "$dir/terraform-provider-${name}_v$version" 2>/dev/null || cp "$server" "$dir/terraform-provider-${name}_v$version"
    fi
  done
  mkdir -p "$(dirname "$test_mirror")"
  mv -T "$tmp_mirror" "$test_mirror" 2>/dev/null || rm -rf "$tmp_mirror"  # a concurrent run was first: same content
fi
test_rc=$test_mirror.tfrc
cat >"$test_rc.$$" <<EOF
# Written by scripts/install-opentofu.sh for tests/opentofu: every provider from the local mirror, never the network.
provider_installation {
  filesystem_mirror {
    path = "$test_mirror"
  }
}
EOF
mv -f "$test_rc.$$" "$test_rc"

# --- record -----------------------------------------------------------------------------------
"$python" - "$record" "$tofu_bin" "$have" "$tofu_from" "$test_rc" "$mirror_rc" "${entries[@]}" <<'PY'
import json, os, sys
record, tofu, version, origin, test_rc, mirror_rc, *entries = sys.argv[1:]
providers = {}
for entry in entries:
    name, address, pin, kind, binary, refusal = entry.split("|")
    providers[name] = {"address": address, "version": pin, "kind": kind}
    if kind == "stand-in":
        providers[name]["refused"] = open(refusal).read().strip()
data = {"tofu": tofu, "tofu_version": version, "tofu_from": origin, "test_cli_config": test_rc,
        "mirror_cli_config": mirror_rc or None, "providers": providers}
with open(f"{record}.{os.getpid()}", "w") as out:
    json.dump(data, out, indent=1)
os.replace(f"{record}.{os.getpid()}", record)
PY
note "OpenTofu $have ($tofu_from: $tofu_bin); providers built: ${built[*]:-none}; stand-ins for tests: ${stand_ins[*]:-none} ($((SECONDS - started)) s)"
