"""HTTP access to the aws-hybrid API: a keystoneauth Adapter that turns API-SIG error bodies
into command errors and follows pagination links."""

import urllib.parse

from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ksa_exceptions
from osc_lib import exceptions

SERVICE_TYPE = "aws-hybrid"
# Request header that picks one of the project's allowed AWS regions.
REGION_HEADER = "AWS-Hybrid-Region"
CLIENT_NAME = "aws-hybrid-osc"
CLIENT_VERSION = "0.1.0"

# Maximum number of characters of a non-JSON error body that an error message repeats.
MAX_ERROR_TEXT = 200


class ApiError(exceptions.CommandError):
    """An error response of the aws-hybrid API.

    ``detail`` is the first item of the API-SIG ``errors`` list when the body has one, and
    ``code`` is its stable code, e.g. ``aws-hybrid.instance.not_found``.
    """

    def __init__(self, status, detail, code=None, request_id=None):
        self.status = status
        self.detail = detail
        self.code = code
        self.request_id = request_id
        super().__init__(self._message())

    def _message(self):
        facts = ["HTTP %s" % self.status]
        if self.code:
            facts.append(self.code)
        if self.request_id:
            facts.append("request %s" % self.request_id)
        return "%s (%s)" % (self.detail, ", ".join(facts))

    @classmethod
    def from_response(cls, response):
        """Build the error from a response with a 4xx or 5xx status."""
        request_id = response.headers.get("x-openstack-request-id")
        try:
            body = response.json()
        except ValueError:
            body = None
        item = _first_error_item(body)
        if item is not None:
            detail = item.get("detail") or item.get("title") or response.reason
            return cls(
                response.status_code,
                detail,
                code=item.get("code"),
                request_id=item.get("request_id") or request_id,
            )
        # Keystone and keystonemiddleware use {"error": {"message": ...}} instead.
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            detail = body["error"].get("message") or response.reason
            return cls(response.status_code, detail, request_id=request_id)
        text = (response.text or "").strip()[:MAX_ERROR_TEXT]
        detail = text or response.reason or "no response body"
        return cls(response.status_code, detail, request_id=request_id)


def _first_error_item(body):
    if not isinstance(body, dict):
        return None
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return errors[0]
    return None


class Client(adapter.Adapter):
    """keystoneauth Adapter for the aws-hybrid API.

    Every request raises ``ApiError`` for a 4xx or 5xx response, and a ``CommandError`` that
    names the service type, interface and region when no endpoint can be found. With
    ``aws_region``, every request sends it in the ``AWS-Hybrid-Region`` header; without it,
    the service uses the project's default region.
    """

    def __init__(self, session, aws_region=None, **kwargs):
        kwargs.setdefault("client_name", CLIENT_NAME)
        kwargs.setdefault("client_version", CLIENT_VERSION)
        if aws_region:
            headers = dict(kwargs.get("additional_headers") or {})
            headers[REGION_HEADER] = aws_region
            kwargs["additional_headers"] = headers
        super().__init__(session, **kwargs)
        self.aws_region = aws_region
        self._override_discovered = False

    def _discover_override(self):
        """Replace the endpoint override with the versioned URL that discovery finds on it.

        keystoneauth 5.18.1 sends requests to an endpoint override as given, and runs version
        discovery on an override only in get_endpoint_data(). Without this step an override
        such as ``http://host:9797/`` would miss the ``/v1/`` prefix.
        """
        if not self.endpoint_override or self._override_discovered:
            return
        data = self.get_endpoint_data()
        # Without a discovery document (api_version None) the override is used as given.
        if data is not None and data.api_version is not None and data.url:
            self.endpoint_override = data.url
        self._override_discovered = True

    def request(self, url, method, **kwargs):
        kwargs["raise_exc"] = False
        try:
            self._discover_override()
            response = super().request(url, method, **kwargs)
        except ksa_exceptions.EndpointNotFound as error:
            raise exceptions.CommandError(
                "No aws-hybrid endpoint found (service type %s, interface %s, region %s): %s. "
                "Check `openstack catalog show %s`, or set OS_AWS_HYBRID_ENDPOINT_OVERRIDE."
                % (
                    self.service_type,
                    self.interface,
                    self.region_name,
                    error,
                    self.service_type,
                )
            ) from error
        except ksa_exceptions.DiscoveryFailure as error:
            raise exceptions.CommandError(
                "Version discovery of the aws-hybrid endpoint failed: %s" % error
            ) from error
        if response.status_code >= 400:
            raise ApiError.from_response(response)
        return response

    def get_json(self, path, params=None):
        """GET ``path`` (relative to the versioned endpoint) and return the decoded body."""
        return _decode_json(self.get(path, params=params))

    def post_json(self, path, body):
        """POST the JSON ``body`` to ``path`` and return the decoded response body."""
        return _decode_json(self.post(path, json=body))

    def list_resources(self, path, collection, filters=None, limit=None, marker=None):
        """List the ``collection`` items at ``path``.

        Filters whose value is None are left out. With ``limit``, one page of at most that
        many items is returned. Without it, the ``next`` links of ``<collection>_links`` are
        followed until the last page. Only the query string of a ``next`` link is used, so
        the token is sent to the discovered endpoint and never to a host named in a body.
        """
        params = [(name, value) for name, value in (filters or {}).items() if value is not None]
        if limit is not None:
            params.append(("limit", str(limit)))
        if marker is not None:
            params.append(("marker", marker))
        items = []
        seen_markers = set()
        while True:
            body = self.get_json(path, params=params)
            items.extend(body.get(collection, []))
            if limit is not None:
                return items
            next_href = _next_href(body.get(collection + "_links"))
            if next_href is None:
                return items
            params = urllib.parse.parse_qsl(
                urllib.parse.urlsplit(next_href).query, keep_blank_values=True
            )
            next_marker = dict(params).get("marker")
            if next_marker is None or next_marker in seen_markers:
                raise exceptions.CommandError(
                    "The aws-hybrid API returned an invalid next link for %s (%s): "
                    "its marker is missing or repeats an earlier page." % (path, next_href)
                )
            seen_markers.add(next_marker)


def resource_path(collection, resource_id, *rest):
    """Build ``<collection>/<id>[/<rest>...]`` with the id percent-encoded as one path segment."""
    return "/".join((collection, urllib.parse.quote(resource_id, safe="")) + rest)


def _decode_json(response):
    try:
        return response.json()
    except ValueError as error:
        raise exceptions.CommandError(
            "The aws-hybrid API returned a body that is not JSON for %s %s (HTTP %s)."
            % (response.request.method, response.url, response.status_code)
        ) from error


def _next_href(links):
    for link in links or []:
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            return link["href"]
    return None
