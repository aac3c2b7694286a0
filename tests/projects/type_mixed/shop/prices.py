def with_tax(price: float, rate: float) -> float:
    return price * (1 + rate)


def discount(price, percent):
    return price - price * percent / 100


label: str = with_tax(10.0, 0.2)
sale = discount(100, 15)
final = with_tax(sale, 0.1)
