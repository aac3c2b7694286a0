"""95% intervals for what a load stage measured, and the sample size that would settle a verdict.

- Error rates (a share of requests): the exact binomial (Clopper-Pearson) interval, from the
  quantiles of the beta distribution.
- Percentiles: the distribution-free order-statistic interval: with n sorted samples the true
  q-quantile lies between the l-th and u-th sample with at least 95% probability, l and u being
  binomial(n, q) quantiles. With too few samples there is no upper rank (u > n): no upper bound.

The regularized incomplete beta function is evaluated with its continued fraction (Numerical
Recipes, `betacf`), which is accurate to about 1e-12 and needs no third-party library.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

LEVEL = 0.95
ALPHA = 1 - LEVEL
_EPS = 3e-14
_TINY = 1e-300
_MAX_ITER = 500


@dataclass(frozen=True)
class Interval:
    """A 95% interval; `high` is None when the samples cannot bound it from above."""

    low: float
    high: float | None


def _betacf(a: float, b: float, x: float) -> float:
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _MAX_ITER + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h


def beta_cdf(x: float, a: float, b: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
        + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def beta_ppf(p: float, a: float, b: float) -> float:
    """The x with I_x(a, b) = p, by bisection (monotone in x)."""
    low, high = 0.0, 1.0
    for _ in range(200):
        mid = (low + high) / 2
        if beta_cdf(mid, a, b) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-15:
            break
    return (low + high) / 2


def binomial_interval(failures: int, total: int) -> Interval:
    """Clopper-Pearson 95% interval of a share, as fractions (0-1)."""
    if total <= 0:
        return Interval(0.0, 1.0)
    low = 0.0 if failures == 0 else beta_ppf(ALPHA / 2, failures, total - failures + 1)
    high = 1.0 if failures >= total else beta_ppf(1 - ALPHA / 2, failures + 1, total - failures)
    return Interval(low, high)


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ binomial(n, p)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return 1.0 - beta_cdf(p, k + 1, n - k)


def binomial_ppf(prob: float, n: int, p: float) -> int:
    """The smallest k with P(X <= k) >= prob, for X ~ binomial(n, p)."""
    low, high = 0, n
    while low < high:
        mid = (low + high) // 2
        if binomial_cdf(mid, n, p) >= prob:
            high = mid
        else:
            low = mid + 1
    return low


def order_ranks(n: int, quantile: float) -> tuple[int, int]:
    """1-based ranks (l, u) of the samples bounding the quantile with 95% confidence;
    u may exceed n (no upper bound), l may be 0 (no lower bound but the smallest sample)."""
    low = binomial_ppf(ALPHA / 2, n, quantile)
    high = binomial_ppf(1 - ALPHA / 2, n, quantile) + 1
    return low, high


def value_at_rank(histogram: Mapping[int, int], rank: int) -> float | None:
    """The rank-th smallest sample (1-based) of a {value: count} histogram."""
    rank = max(rank, 1)
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return float(value)
    return None


def percentile_interval(histogram: Mapping[int, int], quantile: float) -> Interval:
    """Order-statistic 95% interval of a percentile of the samples in `histogram`."""
    n = sum(histogram.values())
    if n == 0:
        return Interval(0.0, None)
    low_rank, high_rank = order_ranks(n, quantile)
    low = value_at_rank(histogram, low_rank) or 0.0
    high = value_at_rank(histogram, high_rank) if high_rank <= n else None
    return Interval(low, high)


def _settles_share(failures: int, total: int, threshold: float) -> bool:
    """Whether the share's interval ends below `threshold` (a fraction)."""
    return (binomial_interval(failures, total).high or 1.0) < threshold


def _settles_percentile(below: int, total: int, quantile: float) -> bool:
    """Whether, with `below` of `total` samples under the threshold, the upper rank does too."""
    return order_ranks(total, quantile)[1] <= below


def _smallest_scale(settles: Callable[[float], bool], limit: float = 1e6) -> float | None:
    """The smallest factor m (found by doubling, then bisection) for which settles(m) holds."""
    high = 1.0
    while not settles(high):
        high *= 2
        if high > limit:
            return None
    low = high / 2 if high > 1 else 1.0
    for _ in range(40):
        if high - low < 0.01:
            break
        mid = (low + high) / 2
        if settles(mid):
            high = mid
        else:
            low = mid
    return high


def requests_to_settle_share(failures: int, total: int, threshold: float) -> int | None:
    """Requests (at the same failure share) after which the interval ends under `threshold`;
    None when the share itself is not under it."""
    if total <= 0:
        return None
    if failures / total >= threshold:
        return None
    scale = _smallest_scale(
        lambda m: _settles_share(round(failures * m), math.ceil(total * m), threshold)
    )
    return None if scale is None else math.ceil(total * scale)


def requests_to_settle_percentile(
    histogram: Mapping[int, int], quantile: float, threshold: float
) -> int | None:
    """Requests (with the same distribution) after which the percentile's upper bound is under
    `threshold`; None when too few samples lie under it for any run length."""
    total = sum(histogram.values())
    below = sum(count for value, count in histogram.items() if value < threshold)
    if total == 0 or below / total <= quantile:
        return None
    scale = _smallest_scale(
        lambda m: _settles_percentile(math.floor(below * m), math.ceil(total * m), quantile)
    )
    return None if scale is None else math.ceil(total * scale)
