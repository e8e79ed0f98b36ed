"""Pure parts of the write policy: error classification, Retry-After, back-off with jitter."""

from __future__ import annotations

import email.utils
import time

import pytest
import urllib3
from influxdb_client.rest import ApiException

from borderwatch.hub.store.writer import WriterSettings, backoff_delay, classify, parse_retry_after


def _api_error(status: int, retry_after: str | None = None) -> ApiException:
    """The exception influxdb-client raises for an HTTP answer, built from a real urllib3 response."""
    headers = {"Retry-After": retry_after} if retry_after else {}
    return ApiException(http_resp=urllib3.HTTPResponse(body=b"", headers=headers, status=status))


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (_api_error(503, "7"), ("retry", 503, 7.0)),
        (_api_error(429), ("retry", 429, None)),
        (_api_error(500), ("retry", 500, None)),
        (_api_error(413), ("permanent", 413, None)),
        (_api_error(400), ("permanent", 400, None)),
        (_api_error(401), ("permanent", 401, None)),
        (urllib3.exceptions.ProtocolError("reset"), ("retry", 0, None)),
        (ConnectionRefusedError(), ("retry", 0, None)),
    ],
    ids=["503", "429", "500", "413", "400", "401", "protocol", "refused"],
)
def test_classify(exc, expected):
    assert classify(exc) == expected


def test_classify_reraises_programming_errors():
    with pytest.raises(KeyError):
        classify(KeyError("bug"))


def test_retry_after_forms():
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < parse_retry_after(future) <= 31


@pytest.mark.parametrize(
    ("attempt", "rnd", "retry_after", "expected"),
    [
        (0, 0.0, None, 0.25),  # half of the initial 0.5 s at minimum jitter
        (0, 1.0, None, 0.5),
        (3, 1.0, None, 4.0),
        (10, 1.0, None, 30.0),  # capped by retry_max_s
        (0, 0.0, 9.0, 9.0),  # the server's Retry-After wins when longer
        (0, 0.0, 5000.0, 600.0),  # but is capped by retry_after_max_s
    ],
)
def test_backoff_table(attempt, rnd, retry_after, expected):
    assert backoff_delay(attempt, WriterSettings(), retry_after, rnd) == pytest.approx(expected)
