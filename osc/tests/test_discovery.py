"""Endpoint lookup and version discovery: with keystoneauth1 itself, with the plugin's
client, and through the openstack command."""

import pytest
from conftest import free_port
from keystoneauth1 import adapter
from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import v3
from osc_lib import exceptions

from aws_hybrid_osc import api

SERVICE_TYPE = "aws-hybrid"

# The two catalog URL forms that keystoneauth must resolve to the versioned endpoint.
URL_FORMS = ("http://127.0.0.1:{port}/", "http://127.0.0.1:{port}/v1")

# Ways to ask keystoneauth for version 1 of the API.
VERSION_REQUESTS = (
    {"version": "1"},
    {"version": "1.0"},
    {"min_version": "1.0", "max_version": "1.latest"},
)


@pytest.fixture(scope="module")
def session(harness):
    """A keystoneauth Session with password authentication as alpha-member."""
    member = harness["projects"]["alpha"]["member"]
    auth = v3.Password(
        auth_url=harness["keystone_url"] + "/v3",
        username=member["username"],
        password=member["password"],
        user_domain_name=harness["keystone_admin"]["user_domain_name"],
        project_id=harness["projects"]["alpha"]["id"],
    )
    return ksa_session.Session(auth=auth)


@pytest.fixture(scope="module")
def versioned_url(harness):
    return "http://127.0.0.1:%d/v1/" % harness["api_port"]


@pytest.mark.parametrize("url_form", URL_FORMS)
@pytest.mark.parametrize("version_request", VERSION_REQUESTS, ids=str)
def test_discovery_from_endpoint_override(session, harness, versioned_url, url_form, version_request):
    override = url_form.format(port=harness["api_port"])
    client = adapter.Adapter(
        session, service_type=SERVICE_TYPE, endpoint_override=override, **version_request
    )
    data = client.get_endpoint_data()
    assert data is not None
    assert data.url == versioned_url
    assert data.api_version == (1, 0)
    # Only the discovery document carries the microversion range.
    assert data.min_microversion == (1, 0)
    assert data.max_microversion == (1, 0)


@pytest.mark.parametrize("interface", ("public", "internal"))
def test_discovery_from_catalog(session, harness, versioned_url, interface):
    client = adapter.Adapter(
        session,
        service_type=SERVICE_TYPE,
        interface=interface,
        region_name="RegionOne",
        version="1",
    )
    data = client.get_endpoint_data()
    assert data is not None
    assert data.catalog_url == "http://127.0.0.1:%d/v1" % harness["api_port"]
    assert data.url == versioned_url
    assert data.api_version == (1, 0)
    assert data.min_microversion == (1, 0)

    response = client.get("availability-zones")
    assert response.status_code == 200
    assert response.url == versioned_url + "availability-zones"


def test_session_endpoint_by_service_type(session, versioned_url):
    data = session.get_endpoint_data(
        service_type=SERVICE_TYPE, interface="public", min_version="1.0", max_version="1.latest"
    )
    assert data.url == versioned_url
    assert data.api_version == (1, 0)
    # get_endpoint returns the URL without the trailing slash of the discovery document.
    endpoint = session.get_endpoint(
        service_type=SERVICE_TYPE, interface="public", min_version="1.0", max_version="1.latest"
    )
    assert endpoint.rstrip("/") == versioned_url.rstrip("/")


@pytest.mark.parametrize("url_form", URL_FORMS + ("http://127.0.0.1:{port}",))
def test_client_discovers_override(session, harness, versioned_url, url_form):
    override = url_form.format(port=harness["api_port"])
    client = api.Client(session, service_type=SERVICE_TYPE, endpoint_override=override, version="1")
    body = client.get_json("availability-zones")
    assert body["availability_zones"]
    assert client.endpoint_override == versioned_url


def test_client_raises_api_error(session):
    client = api.Client(session, service_type=SERVICE_TYPE, interface="public", version="1")
    missing = "i-0fffffffffffffff0"
    with pytest.raises(api.ApiError) as raised:
        client.get_json(api.resource_path("instances", missing))
    error = raised.value
    assert error.status == 404
    assert error.code == "aws-hybrid.instance.not_found"
    assert error.request_id.startswith("req-")
    assert error.detail == "The instance %s was not found in this project." % missing
    assert str(error).startswith(error.detail + " (HTTP 404, aws-hybrid.instance.not_found")


def test_client_encodes_resource_id(session):
    client = api.Client(session, service_type=SERVICE_TYPE, interface="public", version="1")
    with pytest.raises(api.ApiError) as raised:
        client.get_json(api.resource_path("images", "../regions"))
    assert raised.value.status == 404


def test_client_missing_endpoint(session):
    client = api.Client(session, service_type=SERVICE_TYPE, interface="admin", version="1")
    with pytest.raises(exceptions.CommandError) as raised:
        client.get_json("regions")
    message = str(raised.value)
    assert "No aws-hybrid endpoint found (service type aws-hybrid, interface admin" in message
    assert "OS_AWS_HYBRID_ENDPOINT_OVERRIDE" in message


@pytest.mark.parametrize("path", ("/", "/v1"))
def test_cli_endpoint_override(cli, extra_service, path):
    service = extra_service()
    with open(service.log_path) as log:
        lines_before = len(log.readlines())
    rows = cli.json(
        "alpha-reader", "aws", "availability", "zone", "list",
        extra_env={"OS_AWS_HYBRID_ENDPOINT_OVERRIDE": service.url + path},
    )
    assert rows
    with open(service.log_path) as log:
        new_lines = log.readlines()[lines_before:]
    served = [line for line in new_lines if "path=/v1/availability-zones " in line]
    assert len(served) == 1


def test_cli_interface_without_endpoint(cli):
    error = cli.error("alpha-reader", "--os-interface", "admin", "aws", "region", "list")
    assert "No aws-hybrid endpoint found (service type aws-hybrid, interface admin, region RegionOne)" in error
    assert "Traceback" not in error


def test_cli_service_unreachable(cli):
    # Nothing listens on a port that was free a moment ago.
    url = "http://127.0.0.1:%d/v1" % free_port()
    error = cli.error(
        "alpha-reader", "aws", "region", "list",
        extra_env={"OS_AWS_HYBRID_ENDPOINT_OVERRIDE": url},
    )
    assert "Unable to establish connection to %s/regions" % url in error
    assert "Traceback" not in error
