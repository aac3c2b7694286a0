def used(x):
    return x + 1


def unused(x):
    y = x * 2
    y += 1
    return y
