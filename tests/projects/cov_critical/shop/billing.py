def total(prices, discount=0):
    amount = sum(prices)
    if discount:
        amount -= amount * discount / 100
    if amount < 0:
        raise ValueError("negative total")
    return round(amount, 2)


def refund(amount):
    if amount <= 0:
        raise ValueError("nothing to refund")
    return -amount
