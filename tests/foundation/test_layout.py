"""The design card's layout, and the `constructs` library never shadowed by our folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CARD_TOP_LEVEL = [
    "pyproject.toml", "cdktf.json", "main.py", "constructs", "envs", "secrets.tfvars.example",
    "sops.yaml", "bin", "scripts", "tests",
]


def test_design_card_top_level_exists():
    missing = [name for name in CARD_TOP_LEVEL if not (REPO / name).exists()]
    assert not missing, f"top-level entries of the design card missing: {missing}"


def test_constructs_folder_is_not_a_regular_package():
    assert not (REPO / "constructs" / "__init__.py").exists(), (
        "constructs/__init__.py would make our folder shadow the `constructs` library"
    )


def test_main_imports_the_constructs_library_from_the_repo_root():
    """Run the way `python main.py` runs (repo root on sys.path[0]) and ask where constructs is."""
    code = (
        "import sys, runpy; sys.argv=['main.py','--help'];"
        "import constructs, cdktf;"
        "print(constructs.__file__); print(hasattr(constructs, 'Construct'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "site-packages" in out[0], f"`constructs` resolved to {out[0]}, not the installed library"
    assert out[1] == "True"
