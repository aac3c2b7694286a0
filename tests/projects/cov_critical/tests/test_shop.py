from shop.billing import total
from shop.util import slug


def test_total_with_discount():
    assert total([10, 10], discount=50) == 10


def test_slug():
    assert slug(" Big Shop ") == "big-shop"
