from calc.ops import used


def test_used():
    assert used(1) == 2
