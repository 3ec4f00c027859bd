"""The cold token validation benchmark.

aws-hybrid side: GET /v1/nothing-here with a token aws-hybrid has not seen.
The middleware validates it against Keystone (GET /v3/auth/tokens?nocatalog
with the service token), then the fallback route returns 404 without calling
AWS. Keystone side: the same validation call, made directly.

The harness runs Keystone under uWSGI with one worker and one thread on an
HTTP/1.1 keep-alive socket. That worker stays with one client connection
until the client closes it or uWSGI's socket timeout (4 s by default) ends
it, so two clients that keep connections open take turns at about 4 s per
turn. Each side therefore gets its own Keystone: aws-hybrid uses the harness
Keystone and the direct calls go to the peer Keystone, which shares the
database and fernet keys. Each side's tokens are issued by the Keystone that
validates them, because Keystone caches a token's validation when it issues
it.
"""

import json

from services import Connection
from stats import latency_summary_ms

DOMAIN = "Default"
# An unknown route: the middleware validates the token, then the fallback returns 404.
AUTH_ONLY_PATH = "/v1/nothing-here"
# Validations per side before the measured ones. A Keystone that has just started
# serves its first requests slowly, and aws-hybrid may need to obtain its service token.
WARMUP_TOKENS = 5


def issue_token(connection, username, password, scope):
    """Issue a Keystone token and return (token, seconds the request took)."""
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": username, "domain": {"name": DOMAIN}, "password": password}
                },
            },
            "scope": scope,
        }
    }
    status, headers, _, elapsed = connection.request(
        "POST",
        "/v3/auth/tokens?nocatalog",
        headers={"Content-Type": "application/json"},
        body=json.dumps(body),
    )
    if status != 201:
        raise RuntimeError(f"Keystone returned HTTP {status} when issuing a token for {username}")
    return headers["X-Subject-Token"], elapsed


def issue_member_token(connection, project):
    member = project["member"]
    return issue_token(
        connection, member["username"], member["password"], {"project": {"id": project["id"]}}
    )


def measure(api_port, harness_keystone_port, peer_keystone_port, env, project, count, cached_token):
    """Return latency summaries of both sides and of two cheap context requests."""
    service = env["service_user"]
    harness = Connection(harness_keystone_port)
    api_side = [issue_member_token(harness, project) for _ in range(WARMUP_TOKENS + count)]
    # Close this connection so that the harness Keystone's only uWSGI worker is free for aws-hybrid.
    harness.close()

    peer = Connection(peer_keystone_port)
    service_token, _ = issue_token(
        peer,
        service["username"],
        service["password"],
        {"project": {"name": service["project_name"], "domain": {"name": DOMAIN}}},
    )
    direct_side = [issue_member_token(peer, project) for _ in range(WARMUP_TOKENS + count)]
    api = Connection(api_port)

    def via_api(token):
        status, _, _, elapsed = api.request("GET", AUTH_ONLY_PATH, headers={"X-Auth-Token": token})
        if status != 404:
            raise RuntimeError(
                f"GET {AUTH_ONLY_PATH} returned HTTP {status}, expected 404 after authentication"
            )
        return elapsed

    def via_keystone(token):
        status, _, _, elapsed = peer.request(
            "GET",
            "/v3/auth/tokens?nocatalog",
            headers={"X-Auth-Token": service_token, "X-Subject-Token": token},
        )
        if status != 200:
            raise RuntimeError(f"Keystone token validation returned HTTP {status}, expected 200")
        return elapsed

    for index in range(WARMUP_TOKENS):
        via_api(api_side[index][0])
        via_keystone(direct_side[index][0])
    direct, through_api = [], []
    for index in range(WARMUP_TOKENS, WARMUP_TOKENS + count):
        # Alternate the order so that neither side always runs right after the other.
        if index % 2 == 0:
            direct.append(via_keystone(direct_side[index][0]))
            through_api.append(via_api(api_side[index][0]))
        else:
            through_api.append(via_api(api_side[index][0]))
            direct.append(via_keystone(direct_side[index][0]))

    # Context: the same route with a token already in aws-hybrid's cache, and
    # Keystone's cheapest route, the version document.
    cached = [via_api(cached_token) for _ in range(count)]
    version = []
    for _ in range(count):
        status, _, _, elapsed = peer.request("GET", "/v3")
        if status != 200:
            raise RuntimeError(f"Keystone GET /v3 returned HTTP {status}")
        version.append(elapsed)
    api.close()
    peer.close()
    return {
        "tokens_per_side": count,
        "keystone_direct_ms": latency_summary_ms(direct),
        "api_fresh_token_ms": latency_summary_ms(through_api),
        "api_cached_token_ms": latency_summary_ms(cached),
        "keystone_version_ms": latency_summary_ms(version),
        "token_issue_ms": latency_summary_ms([elapsed for _, elapsed in api_side + direct_side]),
        # More than one connect per client means a connection was dropped and reopened.
        "client_connects": {"aws-hybrid": api.connects, "peer_keystone": peer.connects},
    }
