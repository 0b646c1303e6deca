"""The deployment package holds the app and nothing else (``.funcignore``, read as azd reads it).

``azd deploy`` zips the service folder (the repository root) minus ``.funcignore``; a
``.funcignore`` replaces azd's default exclusions, so every local folder a developer machine
grows (virtual environments, tool caches, azd's own ``.azure`` environments) must be named in it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.infra import bicep_model as bm
from tests.infra import deploy_package as pkg

# What the Functions host needs: the entry point, its host configuration, the deployed
# dependencies (remote build installs them) and the four packages function_app.py composes.
APP_ENTRIES = {"function_app.py", "host.json", "requirements.txt",
               "activities", "orchestrators", "shared", "triggers"}  # fmt: skip
SIZE_LIMIT = 1_000_000  # bytes of the zip; the app is ~0.3 MB of source

# Files a developer or CI machine holds after `make test`, `make demo`, `azd up`, an IDE:
# none of them may reach the package (each was a real leak of the old .funcignore or azd's
# defaults).
LOCAL_ARTEFACTS = [
    ".venv/lib/python3.11/site-packages/azure/core/__init__.py",
    ".venv-iac/bin/checkov",
    ".venv-iac/lib/python3.11/site-packages/checkov/main.py",
    ".mypy_cache/3.11/shared/settings.data.json",
    ".pytest_cache/v/cache/lastfailed",
    ".ruff_cache/0.17.5/12345",
    ".hypothesis/examples/0a/1b",
    ".state/devhost.sqlite",
    ".azure/onboarding-prod/.env",
    ".azure/config.json",
    ".vscode/settings.json",
    ".idea/workspace.xml",
    ".env",
    ".coverage",
    ".DS_Store",
    "apim_workspace_onboarding.egg-info/PKG-INFO",
    "shared/__pycache__/settings.cpython-311.pyc",
    "triggers/__pycache__/http_api.cpython-313.pyc",
    "activities/apim.pyc",
    "test-artifacts/dashboard.png",
    "local.settings.json",
    "htmlcov/index.html",
    "build/lib/shared/settings.py",
    "dist/apim_workspace_onboarding-0.1.0.tar.gz",
    "node_modules/azurite/package.json",
    "venv/bin/python",
    "app.zip",
]


def _tree(root: Path, paths: list[str]) -> None:
    for rel in paths:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x", encoding="utf-8")


def test_local_folders_and_caches_never_reach_the_package(tmp_path: Path) -> None:
    """A developer machine's tree: only the app files are packaged (fails on the old rules)."""
    app = ["function_app.py", "host.json", "requirements.txt", "shared/settings.py",
           "triggers/dashboard_assets/app.js", "activities/apim.py", "orchestrators/saga.py"]  # fmt: skip
    repo_only = ["tests/unit/test_x.py", "simulator/app.py", "devhost/host.py", "cli/main.py",
                 "bench/run.py", "docs/deploy.md", "infra/main.bicep", "README.md",
                 "Makefile", "pyproject.toml", "requirements-dev.txt", "azure.yaml",
                 ".ci/run", ".gitignore", ".git/HEAD"]  # fmt: skip
    _tree(tmp_path, app + repo_only + LOCAL_ARTEFACTS)
    (tmp_path / pkg.IGNORE_FILE).write_text(
        (bm.ROOT / pkg.IGNORE_FILE).read_text(encoding="utf-8"), encoding="utf-8"
    )
    files = pkg.package_files(tmp_path)
    assert files == sorted(app), f"unexpected in the package: {sorted(set(files) - set(app))}"


def test_the_real_package_holds_exactly_the_app(tmp_path: Path) -> None:
    files = pkg.package_files(bm.ROOT)
    assert pkg.top_level(files) == APP_ENTRIES
    assert not [f for f in files if "__pycache__" in f or f.endswith((".pyc", ".pyo"))]
    archive = pkg.build_zip(bm.ROOT, files, tmp_path / "app.zip")
    size = archive.stat().st_size
    print(f"deployment package: {len(files)} files, {size / 1000:.0f} kB zipped")
    assert size < SIZE_LIMIT, f"package is {size} bytes"


def test_the_package_holds_every_module_the_app_imports() -> None:
    """No first-party import points outside the package (devhost, simulator, cli stay out)."""
    files = pkg.package_files(bm.ROOT)
    first_party = {p.name.removesuffix(".py") for p in bm.ROOT.iterdir()
                   if (p / "__init__.py").is_file() or p.name == "function_app.py"}  # fmt: skip
    packaged = {f.split("/", 1)[0].removesuffix(".py") for f in files}
    missing: set[str] = set()
    for rel in files:
        if not rel.endswith(".py"):
            continue
        tree = ast.parse((bm.ROOT / rel).read_text(encoding="utf-8"), filename=rel)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            missing |= {f"{rel}: {n}" for n in names
                        if n.split(".")[0] in first_party - packaged}  # fmt: skip
    assert not missing, sorted(missing)


def test_the_dashboard_assets_and_host_configuration_are_packaged() -> None:
    files = set(pkg.package_files(bm.ROOT))
    assert {"host.json", "requirements.txt", "function_app.py"} <= files
    assert {f"triggers/dashboard_assets/{n}" for n in ("index.html", "app.js", "app.css")} <= files


@pytest.mark.parametrize("doc", ["docs/deploy.md"])
def test_the_manual_zip_in_the_docs_packages_the_same_entries(doc: str) -> None:
    """docs/deploy.md's deploy-without-azd zip command lists exactly the package's entries."""
    text = (bm.ROOT / doc).read_text(encoding="utf-8")
    match = re.search(r"zip -r (\S+) ((?:[^\\\n]+\\\n)*[^\n]*)", text)
    assert match, f"{doc} has no `zip -r` command"
    words = match.group(2).replace("\\\n", " ").split()
    entries = set()
    for word in words:
        if word.startswith("-"):
            break
        entries.add(word)
    assert entries == APP_ENTRIES
