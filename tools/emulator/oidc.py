"""Verify the web identity tokens (JWTs) of AssumeRoleWithWebIdentity.

The checks follow what AWS STS does with an OIDC ID token. The "iss" claim
must name an IAM OIDC provider of the role's account, and "aud" must be one
of that provider's client IDs. The signature must verify against the
issuer's JWKS, and "exp" must lie in the future.

The JWKS is found through OIDC discovery: <iss>/.well-known/openid-configuration
names the jwks_uri. Both documents are fetched on every call, with no cache,
and only from http://127.0.0.1:<port> URLs, so the emulator never sends
traffic off loopback. Redirects and proxies are not followed.
NOTE: AWS requires https issuers. The http-on-loopback rule is the one
deliberate deviation, because the test services serve plain http.
"""

import json
import logging
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import jwt

from emulator.errors import EmulatedError

LOG = logging.getLogger("aws_hybrid.emulator.oidc")

SUPPORTED_ALGORITHMS = ("RS256", "ES256")
LOOPBACK_HOST = "127.0.0.1"
FETCH_TIMEOUT_SECONDS = 5
MAX_DOCUMENT_BYTES = 1024 * 1024
# Allowed clock skew for "nbf" and "iat" in the future. "exp" gets none.
CLOCK_SKEW_SECONDS = 60

# Messages that AWS STS sends, as seen in public error reports:
# "No OpenIDConnect provider found in your account for <iss>" (400),
# "Incorrect token audience" (400), "Couldn't retrieve verification key from
# your identity provider,  please reference AssumeRoleWithWebIdentity
# documentation for requirements" (400, with the two spaces), "Token
# expired: current date/time <now> must be before the expiration date/time
# <exp>" (ExpiredTokenException, 400) and "Missing a required claim: aud".
# NOTE: the texts for a malformed token, an unsupported algorithm, a bad
# signature and a token not yet valid are unverified; match the error code.
JWKS_UNAVAILABLE_MESSAGE = (
    "Couldn't retrieve verification key from your identity provider,  "
    "please reference AssumeRoleWithWebIdentity documentation for requirements"
)


@dataclass(frozen=True)
class VerifiedToken:
    """The claims of a web identity token that passed every check."""

    issuer: str
    provider_arn: str
    provider_id: str
    subject: str
    audience: str


class FetchError(Exception):
    """An OIDC document could not be fetched or is not usable."""


def invalid_token(message):
    return EmulatedError("InvalidIdentityToken", message, 400)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Turn every redirect into an HTTPError, since its target may leave loopback."""

    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())


def require_loopback_url(url):
    """Raise FetchError unless url is http://127.0.0.1:<port>/..., with no user info."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise FetchError(f"invalid URL {url!r}: {error}") from error
    if (parts.scheme != "http" or parts.hostname != LOOPBACK_HOST or port is None
            or parts.username is not None or parts.password is not None):
        raise FetchError(f"rejected URL {url!r}: the emulator fetches OIDC documents "
                         f"only from http://{LOOPBACK_HOST}:<port> URLs")


def fetch_json(url):
    require_loopback_url(url)
    try:
        with OPENER.open(url, timeout=FETCH_TIMEOUT_SECONDS) as response:
            body = response.read(MAX_DOCUMENT_BYTES + 1)
    except (urllib.error.URLError, OSError) as error:
        raise FetchError(f"GET {url} failed: {error}") from error
    if len(body) > MAX_DOCUMENT_BYTES:
        raise FetchError(f"GET {url} returned more than {MAX_DOCUMENT_BYTES} bytes")
    try:
        document = json.loads(body)
    except ValueError as error:
        raise FetchError(f"GET {url} returned invalid JSON: {error}") from error
    if not isinstance(document, dict):
        raise FetchError(f"GET {url} returned JSON that is not an object")
    return document


def fetch_jwks(issuer):
    """Fetch the JWKS of issuer through OIDC discovery."""
    discovery_url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    discovery = fetch_json(discovery_url)
    # OIDC Discovery 1.0, section 4.3: the issuer in the document must be
    # identical to the issuer URL it was fetched for.
    if discovery.get("issuer") != issuer:
        raise FetchError(f"{discovery_url} names issuer {discovery.get('issuer')!r}, "
                         f"expected {issuer!r}")
    jwks_uri = discovery.get("jwks_uri")
    if not isinstance(jwks_uri, str):
        raise FetchError(f"{discovery_url} has no jwks_uri")
    keys = fetch_json(jwks_uri).get("keys")
    if not isinstance(keys, list):
        raise FetchError(f"{jwks_uri} has no keys list")
    return keys


def provider_id_of(issuer):
    """Return the IAM provider ID of an issuer URL: the URL without its scheme."""
    for scheme in ("https://", "http://"):
        if issuer.startswith(scheme):
            return issuer[len(scheme):]
    return issuer


def matching_audience(audience_claim, client_ids):
    audiences = audience_claim if isinstance(audience_claim, list) else [audience_claim]
    for audience in audiences:
        if isinstance(audience, str) and audience in client_ids:
            return audience
    return None


def signature_verifies(token, algorithm, key_id, keys):
    """Tell whether one key of the JWKS with the token's kid verifies its signature."""
    for jwk in keys:
        if not isinstance(jwk, dict):
            continue
        if key_id is not None and jwk.get("kid") != key_id:
            continue
        if jwk.get("alg", algorithm) != algorithm:
            continue
        try:
            key = jwt.PyJWK(jwk, algorithm=algorithm)
            jwt.decode(token, key=key.key, algorithms=[algorithm],
                       options={"verify_signature": True, "verify_exp": False,
                                "verify_nbf": False, "verify_iat": False,
                                "verify_aud": False, "verify_iss": False,
                                "verify_sub": False, "verify_jti": False})
        except jwt.PyJWTError:
            continue
        return True
    return False


def numeric_date(claims, name):
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise invalid_token(f"The {name} claim is not a NumericDate")
    return value


def verify(token, providers):
    """Verify token against providers and return its VerifiedToken.

    providers maps IAM OIDC provider ARNs to moto's provider objects, whose
    url is the provider ID. Raises EmulatedError with code
    InvalidIdentityToken, or ExpiredTokenException for an expired token.
    """
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise invalid_token("The web identity token is not a valid JWT") from error

    issuer = claims.get("iss")
    if not isinstance(issuer, str):
        raise invalid_token("Missing a required claim: iss")
    provider_id = provider_id_of(issuer)
    provider_arn = next((arn for arn, provider in providers.items()
                         if provider.url == provider_id), None)
    if provider_arn is None:
        raise invalid_token(f"No OpenIDConnect provider found in your account for {issuer}")

    if "aud" not in claims:
        raise invalid_token("Missing a required claim: aud")
    audience = matching_audience(claims["aud"], providers[provider_arn].client_id_list)
    if audience is None:
        raise invalid_token("Incorrect token audience")

    algorithm = header.get("alg")
    if algorithm not in SUPPORTED_ALGORITHMS:
        raise invalid_token(f"Unsupported token signing algorithm {algorithm!r}; "
                            f"use one of {', '.join(SUPPORTED_ALGORITHMS)}")
    try:
        keys = fetch_jwks(issuer)
    except FetchError as error:
        LOG.warning("cannot get the JWKS of issuer %s: %s", issuer, error)
        raise invalid_token(JWKS_UNAVAILABLE_MESSAGE) from error
    if not signature_verifies(token, algorithm, header.get("kid"), keys):
        raise invalid_token("The token signature could not be verified with the keys "
                            "of the identity provider")

    now = int(time.time())
    expires = numeric_date(claims, "exp")
    if expires is None:
        raise invalid_token("Missing a required claim: exp")
    if expires <= now:
        raise EmulatedError(
            "ExpiredTokenException",
            f"Token expired: current date/time {now} must be before the expiration "
            f"date/time {int(expires)}",
            400,
        )
    for name in ("nbf", "iat"):
        value = numeric_date(claims, name)
        if value is not None and value > now + CLOCK_SKEW_SECONDS:
            raise invalid_token(f"The {name} claim {int(value)} is in the future "
                                f"(current date/time {now})")

    subject = claims.get("sub")
    if not isinstance(subject, str):
        raise invalid_token("Missing a required claim: sub")
    return VerifiedToken(issuer=issuer, provider_arn=provider_arn, provider_id=provider_id,
                         subject=subject, audience=audience)
