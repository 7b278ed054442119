"""Reads one delivery stream's series from spated's unsigned /metrics route (docs/metrics.md)."""

import http.client
import re


def scrape(endpoint):
    m = re.match(r"http://([^:/]+):(\d+)", endpoint)
    conn = http.client.HTTPConnection(m.group(1), int(m.group(2)), timeout=10)
    try:
        conn.request("GET", "/metrics")
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def metric(endpoint, name, stream, text=None):
    """The value of series `name` (a counter's or gauge's, or a histogram's `_count`) of delivery stream
    `stream`; None when the series is absent."""
    for line in (text if text is not None else scrape(endpoint)).splitlines():
        if line.startswith(name + "{") and f'delivery_stream_name="{stream}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return None
