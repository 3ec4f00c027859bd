"""Percentiles and summaries shared by the benchmark scripts."""

import statistics


def percentile(values, fraction):
    """Return the fraction-th percentile of values by linear interpolation (numpy's default method).

    fraction is between 0 and 1. Raises ValueError on an empty list.
    """
    if not values:
        raise ValueError("percentile of an empty list")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def latency_summary_ms(seconds):
    """Summarise latencies given in seconds as count, p50, p90, p99, max and mean in ms.

    Returns only the count when the list is empty.
    """
    if not seconds:
        return {"count": 0}
    millis = [value * 1000.0 for value in seconds]
    return {
        "count": len(millis),
        "p50": percentile(millis, 0.50),
        "p90": percentile(millis, 0.90),
        "p99": percentile(millis, 0.99),
        "max": max(millis),
        "mean": statistics.fmean(millis),
    }
