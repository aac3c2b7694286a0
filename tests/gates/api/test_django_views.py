"""A Django project's operations matched to their views (the URL resolver's walk, as the probe
prints it), and the schema generator chosen for what the project installs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.errors import GateError
from gates.api.django_schema import generator
from gates.api.django_views import parse_probe
from gates.django_project import Probed

pytestmark = pytest.mark.unit

LIBRARY = "/venv/lib/python3.12/site-packages/rest_framework/mixins.py"


def _walk(root: Path) -> str:
    """What the probe printed for tests/projects/django_shop, the project at ROOT."""
    views = str(root / "catalog" / "views.py")
    found = [
        ["*", "/health", [[str(root / "shop" / "urls.py"), 12]]],
        ["GET", "/api/categories/", [[LIBRARY, 37], [views, 9]]],
        ["GET", "/api/categories\\.{format}/", [[LIBRARY, 37], [views, 9]]],
        ["GET", "/api/categories/{pk}/", [[LIBRARY, 53], [views, 9]]],
        ["GET", "/api/ratio/{a}/{b}/", [[views, 27], [views, 24]]],
        ["GET", "/api/", [["/venv/lib/python3.12/site-packages/rest_framework/routers.py", 322]]],
    ]
    return "System check identified no issues.\n" + json.dumps(found)


def test_an_operation_names_its_handler_else_its_class_in_the_project(tmp_path: Path) -> None:
    operations = [
        "GET /api/ratio/{a}/{b}/",
        "GET /api/categories/{id}/",
        "GET /health",
        "POST /health",
        "GET /api/",
        "DELETE /api/categories/{id}/",
    ]
    found = parse_probe(_walk(tmp_path), tmp_path, operations)
    assert found == {
        "GET /api/ratio/{a}/{b}/": ("catalog/views.py", 27),
        # ModelViewSet's retrieve lies in DRF: the project's viewset is where to look.
        "GET /api/categories/{id}/": ("catalog/views.py", 9),
        "GET /health": ("shop/urls.py", 12),
        "POST /health": ("shop/urls.py", 12),
    }


def test_output_that_is_not_the_probes_locates_nothing(tmp_path: Path) -> None:
    assert parse_probe("Traceback (most recent call last):", tmp_path, ["GET /a"]) == {}


def _probed(apps: list[str], yaml: bool = True, uritemplate: bool = True) -> Probed:
    return Probed(
        python="3.12",
        django="5.2",
        error=None,
        apps=apps,
        modules={"yaml": yaml, "uritemplate": uritemplate},
    )


def test_drf_spectacular_writes_the_schema_when_installed_else_drfs_generateschema() -> None:
    assert generator(_probed(["rest_framework", "drf_spectacular"])) == "spectacular"
    assert generator(_probed(["rest_framework"])) == "generateschema"
    assert generator(_probed(["django.contrib.auth"])) is None


def test_without_any_generator_one_sentence_says_what_to_install() -> None:
    with pytest.raises(GateError, match=r"pip install drf-spectacular.*pip install pyyaml"):
        generator(_probed(["rest_framework"], uritemplate=False))
