"""The deploy gate's parsers, on outputs saved from the real tools."""

from __future__ import annotations

from pathlib import Path

import pytest

from gates.deploy import parse
from gates.tools import NotAReportError

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parents[2] / "fixtures" / "deploy"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_build_report_lists_the_sdist_and_the_wheel() -> None:
    report = parse.build_report((FIXTURES / "build-report.json").read_bytes())
    assert [(a.name, a.kind) for a in report.artifacts] == [
        ("demo-1.0.tar.gz", "sdist"),
        ("demo-1.0-py3-none-any.whl", "wheel"),
    ]
    assert report.artifacts[1].size == 1538


def test_a_build_report_that_is_not_json_is_an_error() -> None:
    with pytest.raises(NotAReportError):
        parse.build_report(b"Successfully built demo-1.0.tar.gz")


def test_check_wheel_contents_problems_with_their_files() -> None:
    problems = parse.check_wheel_contents(fixture("check-wheel-contents-problems.txt"))
    assert [(p.distribution, p.code, p.files) for p in problems] == [
        ("demo2-1.0-py3-none-any.whl", "W005", ("tests/",)),
        ("demo2-1.0-py3-none-any.whl", "W009", ("demo2/", "tests/")),
    ]
    assert problems[0].message == "Wheel contains common toplevel name in library"


def test_check_wheel_contents_ok_is_no_problem_and_other_text_is_an_error() -> None:
    assert parse.check_wheel_contents("dist/demo-1.0-py3-none-any.whl: OK\n") == []
    with pytest.raises(NotAReportError):
        parse.check_wheel_contents("Error: No such file or directory: 'x.whl'\n")


def test_twine_problems_of_each_distribution() -> None:
    problems, checked = parse.twine_check(fixture("twine-check-failed.txt"))
    assert checked == ["demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz"]
    assert [(p.distribution, p.code) for p in problems] == [
        ("demo-1.0-py3-none-any.whl", "ERROR"),
        ("demo-1.0.tar.gz", "ERROR"),
    ]
    assert problems[0].message.startswith("`long_description` has syntax errors in markup")
    assert 'Unknown directive type "foo"' in problems[0].message


def test_twine_passed_and_unexpected_text() -> None:
    problems, checked = parse.twine_check("Checking dist/a-1.0.tar.gz: PASSED\n")
    assert (problems, checked) == ([], ["a-1.0.tar.gz"])
    with pytest.raises(NotAReportError):
        parse.twine_check("Traceback (most recent call last):\n")


def test_wheel_contents_modules_top_level_and_scripts() -> None:
    names = [
        "shop/__init__.py",
        "shop/cli.py",
        "shop/fast.cpython-311-x86_64-linux-gnu.so",
        "shop/ns/mod.py",
        "shop/templates/page.html",
        "single.py",
        "shop-1.0.dist-info/METADATA",
        "shop-1.0.data/scripts/tool",
    ]
    contents = parse.wheel_contents(names, "[console_scripts]\nshop = shop.cli:main\n")
    assert contents.top_level == ("shop", "single")
    assert contents.modules == {"shop", "shop.cli", "shop.fast", "shop.ns", "shop.ns.mod", "single"}
    assert contents.scripts == ("shop",)
    assert parse.wheel_contents(names, "").scripts == ()


def test_probe_lines() -> None:
    results = parse.import_results(
        '{"module": "shop", "ok": true}\n'
        '{"module": "shop.cli", "ok": false, "error": "ImportError: no"}\n'
    )
    assert [(r.module, r.ok, r.error) for r in results] == [
        ("shop", True, ""),
        ("shop.cli", False, "ImportError: no"),
    ]
    events = parse.migration_events(
        '{"event": "revisions", "revisions": ["a", "b"], "heads": ["b"], "files": {}}\n'
        '{"event": "step", "phase": "downgrade", "revision": "b", "ok": false, "error": "E"}\n'
        '{"event": "check", "tables": 1, "drift": [{"kind": "add_column", "table": "items", '
        '"column": "sku"}]}\n'
    )
    assert [type(e).__name__ for e in events] == ["Revisions", "Step", "Check"]
    with pytest.raises(NotAReportError):
        parse.migration_events("INFO  [alembic.runtime.migration] Running upgrade\n")


def test_django_plan_lists_every_migration_in_order() -> None:
    plan = parse.django_plan(fixture("django-showmigrations-plan.txt"))
    assert plan == [
        "contenttypes.0001_initial",
        "contenttypes.0002_remove_content_type_name",
        "store.0001_initial",
        "store.0002_price",
    ]
    assert parse.django_apps(plan) == ["contenttypes", "store"]


def test_a_django_plan_with_a_stray_line_is_an_error() -> None:
    with pytest.raises(NotAReportError):
        parse.django_plan("System check identified no issues\n")


def test_django_progress_names_the_migration_that_failed() -> None:
    done = parse.django_progress(fixture("django-migrate.out"))
    assert [p.done for p in done] == [True] * 4
    failed = parse.django_progress(fixture("django-migrate-failed.out"))
    assert failed[-1] == parse.DjangoProgress("store.0003_boom", backwards=False, done=False)
    assert all(p.done for p in failed[:-1])


def test_django_progress_names_an_irreversible_migration() -> None:
    [unapplying] = parse.django_progress(fixture("django-unapply-irreversible.out"))
    assert unapplying == parse.DjangoProgress("store.0002_price", backwards=True, done=False)
    assert "IrreversibleError" in fixture("django-unapply-irreversible.err").splitlines()[-1]


def test_django_conflicts_name_each_app_and_its_latest_migrations() -> None:
    conflicts = parse.django_conflicts(fixture("django-migrate-conflict.err"))
    assert conflicts == {"store": ("0003_a", "0003_b")}
    assert parse.django_conflicts(fixture("django-migrate-failed.err")) == {}


def test_django_changes_name_the_model_and_the_field() -> None:
    changes = parse.django_changes(fixture("django-makemigrations-check.txt"))
    assert [(c.app, c.kind, c.model, c.field) for c in changes] == [
        ("store", "create_model", "tag", ""),
        ("store", "add_field", "product", "sku"),
        ("store", "alter_field", "product", "id"),
    ]
    assert changes[1].description == "Add field sku to product"


def test_django_changes_of_an_older_django_and_an_unknown_operation() -> None:
    text = (
        "Migrations for 'store':\n  store/migrations/0003_x.py\n    - Change managers on product\n"
    )
    [change] = parse.django_changes(text)
    assert (change.kind, change.model, change.description) == (
        "change_managers",
        "",
        "Change managers on product",
    )
    with pytest.raises(NotAReportError):
        parse.django_changes("Traceback (most recent call last):\n")


def test_unmet_build_requirements_are_named_with_the_version_found() -> None:
    """`python -m build --no-isolation` in an environment whose setuptools is too old."""
    unmet = parse.unmet_build_requirements(fixture("build-unmet-dependencies.txt"))
    assert unmet == ("setuptools>=68 (found 65.5.0)",)
    assert parse.unmet_build_requirements("ERROR Backend subprocess exited when trying") == ()
