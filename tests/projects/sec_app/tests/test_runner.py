from app.runner import run


def test_run() -> None:
    assert run("true") == 0
