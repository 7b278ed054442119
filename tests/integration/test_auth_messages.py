"""Malformed authentication gets AWS's exact answers (type, HTTP status, message), sent as raw HTTP/1.1 so
that nothing between the test and the server adds or fixes a header. The order of the checks is AWS's: the
operation, then the body (an empty body is a SerializationException with no message at all), then the
presence of a signature, then its parts. Development mode checks presence exactly as a server with
--credentials-file does, so the shared server answers these."""

import http.client
import json

import pytest

from helpers import JSON_CONTENT_TYPE, TARGET_PREFIX, utcnow

CREDENTIAL = "AKIDEXAMPLE/20231114/us-east-1/kinesis/aws4_request"
FULL = f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}, SignedHeaders=host;x-amz-date;x-amz-target, Signature=abcd"


def send(server, headers, body=b"{}", path="/", operation="ListStreams"):
    """POST exactly these headers (plus Host and Content-Length, which http.client always sends)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        hdrs = {"Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": f"{TARGET_PREFIX}.{operation}", **headers}
        conn.request("POST", path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        assert resp.getheader("x-amzn-RequestId"), "every error carries a request id"
        return resp.status, json.loads(data) if data else {}
    finally:
        conn.close()


def now():
    return utcnow().strftime("%Y%m%dT%H%M%SZ")


def test_no_date_header_names_that_requirement(server):
    assert send(server, {"Authorization": FULL}) == (400, {
        "__type": "IncompleteSignatureException",
        "message": "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                   f"Authorization={FULL}"})


def test_a_date_header_stands_in_for_x_amz_date(server):
    status, body = send(server, {"Authorization": FULL, "Date": now()})
    assert status == 200 and "StreamNames" in body, body


def test_query_auth_and_authorization_header_together(server):
    assert send(server, {"Authorization": FULL, "X-Amz-Date": now()},
                path="/?X-Amz-Algorithm=AWS4-HMAC-SHA256") == (400, {
                    "__type": "InvalidSignatureException",
                    "message": "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP "
                               "header."})


@pytest.mark.parametrize("query,missing", [
    ("X-Amz-Algorithm=AWS4-HMAC-SHA256", ["X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders",
                                          "X-Amz-Date"]),
    (f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={CREDENTIAL.replace('/', '%2F')}"
     "&X-Amz-SignedHeaders=host", ["X-Amz-Signature", "X-Amz-Date"]),
    ("X-Amz-Algorithm=&X-Amz-Signature=ab&X-Amz-Date=20231114T221320Z",
     ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-SignedHeaders"]),
])
def test_query_auth_missing_parameters_lists_the_missing_ones(server, query, missing):
    assert send(server, {}, path="/?" + query) == (400, {
        "__type": "IncompleteSignatureException",
        "message": "".join(f"AWS query-string parameters must include '{p}'. " for p in missing)
                   + "Re-examine the query-string parameters."})


@pytest.mark.parametrize("params,missing", [
    ("SignedHeaders=host, Signature=abcd", ["Credential"]),
    (f"Credential={CREDENTIAL}, Signature=abcd", ["SignedHeaders"]),
    (f"Credential={CREDENTIAL}, SignedHeaders=host", ["Signature"]),
    ("Signature=abcd", ["Credential", "SignedHeaders"]),
    ("", ["Credential", "Signature", "SignedHeaders"]),
])
def test_authorization_header_missing_parts_names_only_those(server, params, missing):
    header = f"AWS4-HMAC-SHA256 {params}".rstrip()
    assert send(server, {"Authorization": header, "X-Amz-Date": now()}) == (400, {
        "__type": "IncompleteSignatureException",
        "message": "".join(f"Authorization header requires '{p}' parameter. " for p in missing)
                   + f"Authorization={header}"})


@pytest.mark.parametrize("header", ["AWS4- Signature=b Credential=a", "AWS4- Signature=b,Credential=a",
                                    "AWS4- Signature=b, Credential=a"])
def test_parameters_may_be_separated_by_commas_or_spaces(server, header):
    """AWS reads the word after the algorithm's as parameters separated by commas and/or spaces, whatever the
    algorithm's name (it is checked later)."""
    assert send(server, {"Authorization": header, "Date": "a"}) == (400, {
        "__type": "IncompleteSignatureException",
        "message": f"Authorization header requires 'SignedHeaders' parameter. Authorization={header}"})


def test_a_header_that_is_one_word_lacks_everything(server):
    want = (400, {"__type": "IncompleteSignatureException",
                  "message": "Authorization header requires 'Credential' parameter. Authorization header requires "
                             "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
                             "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                             "Authorization=X"})
    assert send(server, {"Authorization": "X"}) == want
    # A query parameter that only looks like the algorithm's does not make it query authentication.
    assert send(server, {"Authorization": "X"}, path="/?X-Amz-Algorith") == want
    # Named without a value, it does: then header and query are both there.
    status, body = send(server, {"Authorization": "X"}, path="/?X-Amz-Algorithm")
    assert (status, body["__type"]) == (400, "InvalidSignatureException")


def test_query_parameters_without_the_algorithm_are_no_authentication(server):
    assert send(server, {}, path="/?X-Amz-Credential=a&X-Amz-Signature=b&X-Amz-SignedHeaders=c&X-Amz-Date=d") == (
        400, {"__type": "MissingAuthenticationTokenException", "message": "Missing Authentication Token"})


def test_missing_parts_and_missing_date_are_reported_together(server):
    header = f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}"
    assert send(server, {"Authorization": header}) == (400, {
        "__type": "IncompleteSignatureException",
        "message": "Authorization header requires 'Signature' parameter. Authorization header requires "
                   "'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' "
                   f"or a 'Date' header. Authorization={header}"})


def test_no_authentication_at_all(server):
    assert send(server, {"X-Amz-Date": now()}) == (400, {
        "__type": "MissingAuthenticationTokenException", "message": "Missing Authentication Token"})


def test_empty_body_is_a_bare_serialization_exception(server):
    """AWS answers an empty body {"__type":"SerializationException"}: no message, and before it looks at the
    signature; with an operation it does not know, UnknownOperationException comes first."""
    for headers in ({"Authorization": FULL, "X-Amz-Date": now()}, {}):
        assert send(server, headers, body=b"") == (400, {"__type": "SerializationException"})
    status, body = send(server, {}, body=b"", operation="NoSuchOperation")
    assert (status, body["__type"]) == (400, "UnknownOperationException")


def test_malformed_body_is_reported_before_the_signature(server):
    status, body = send(server, {}, body=b"{not json")
    assert (status, body["__type"]) == (400, "SerializationException"), body
