"""The design's boundaries: who may import fastapi and mlflow, and the fixed layout."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# the only library module allowed to import mlflow
MLFLOW_OK = {"govperf_ml/registry.py"}
FASTAPI_OK_PREFIX = "api/"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def library_files():
    return sorted((ROOT / "govperf_ml").rglob("*.py"))


def test_only_registry_imports_mlflow():
    offenders = [str(p.relative_to(ROOT)) for p in library_files()
                 if "mlflow" in imported_modules(p) and str(p.relative_to(ROOT)) not in MLFLOW_OK]
    assert offenders == []


def test_only_api_imports_fastapi():
    offenders = [str(p.relative_to(ROOT)) for p in library_files()
                 if {"fastapi", "starlette"} & imported_modules(p)]
    assert offenders == []


def test_library_does_not_import_the_service():
    offenders = [str(p.relative_to(ROOT)) for p in library_files() if "api" in imported_modules(p)]
    assert offenders == []


def test_layout():
    for folder in ("govperf_ml", "api", "models", "notebooks", "mlflow", "tests"):
        assert (ROOT / folder).is_dir(), folder
    assert (ROOT / "pyproject.toml").is_file()
    assert not (ROOT / "mlflow" / "__init__.py").exists(), "a package named mlflow would shadow the library"


def test_no_model_binaries_in_models_folder():
    binaries = [p for p in (ROOT / "models").rglob("*") if p.suffix in {".pkl", ".joblib", ".bin", ".pt", ".onnx"}]
    assert binaries == []
