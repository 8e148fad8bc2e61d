"""Synthesize the platform's OpenTofu stacks.

    APP_ENV=dev  python main.py          # default env: dev
    APP_ENV=prod python main.py
    python main.py --all-envs            # both environments in one process

Writes cdktf.out/stacks/<env>-<layer>/cdk.tf.json. The environment is validated before any
jsii work starts, so a typo fails at once.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent
# Our constructs live in constructs/platform_constructs; the folder constructs/ itself is not a
# package, so `import constructs` keeps resolving to the library cdktf needs (see README).
sys.path.insert(1, str(REPO / "constructs"))

from envs import VALID_ENVS, ConfigError, load_config, resolve_env  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--all-envs", action="store_true", help=f"synthesize {' and '.join(VALID_ENVS)} together")
    parser.add_argument("--outdir", default=os.environ.get("CDKTF_OUTDIR", "cdktf.out"), help="output folder")
    return parser.parse_args(argv)


def sweep_stale_plaintext(root: Path, outdir: Path) -> None:
    """Remove the decrypted secrets a killed scripts/tofu-secrets.sh run left in a stack directory,
    and say so. Only under the checkout's lock: when a wrapper run holds it (it may be the one that
    started this synthesis), its files are live and it sweeps itself."""
    sys.path.insert(0, str(REPO / "scripts" / "lib"))
    import tfsecrets

    try:
        fd, _holder = tfsecrets.lock_checkout(root, "main.py (synthesis)")
    except OSError:  # a read-only checkout: nothing can have been left there by the wrapper either
        return
    if fd is None:
        return
    try:
        for note in tfsecrets.sweep_plaintext(root, outdir):
            print(f"main.py: {note}", file=sys.stderr)
    finally:
        os.close(fd)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        envs = list(VALID_ENVS) if args.all_envs else [resolve_env(os.environ.get("APP_ENV"))]
        configs = [load_config(env, use_local_files=True) for env in envs]
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sweep_stale_plaintext(REPO, REPO / args.outdir if not Path(args.outdir).is_absolute() else Path(args.outdir))

    from platform_constructs.runtime import configure_jsii

    configure_jsii()
    from platform_constructs.platform import synthesize
    from platform_constructs.rules import RulesViolation

    # Everything imported so far lives until exit: keep the GC from scanning it again and again,
    # and skip the slow teardown of ~100 MB of binding objects at exit.
    gc.freeze()

    try:
        synthesize(configs, REPO / args.outdir if not Path(args.outdir).is_absolute() else args.outdir)
    except (RulesViolation, ConfigError) as exc:  # ConfigError: checks that need several sections
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for config in configs:
        stacks = ", ".join(f"{config.env}-{layer}" for layer in config.layers)
        print(f"synthesized {config.env}: {stacks} -> {args.outdir}/stacks/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
