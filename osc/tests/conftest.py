"""Fixtures shared by the plugin tests: the harness state, the users' openrc credentials, a
runner for the real `openstack` command, and extra aws-hybrid processes.

run.sh sets AWS_HYBRID_OSC_STATE_DIR (a directory made by tools/harness/up.sh) and
AWS_HYBRID_API_BIN, and serves aws-hybrid on the harness's api_port before pytest starts.
"""

import json
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

# Seconds one `openstack` command may take. A command here usually takes 5 to 8 s, because
# the harness Keystone keeps a single uWSGI worker busy with the client's idle keep-alive
# connection for about 4 s before it validates the service's token.
COMMAND_TIMEOUT = 120

# Loopback requests must never go through a proxy from the environment.
NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# Image that moto accepts in RunInstances without registering it first.
TEST_AMI = "ami-12c6146b"


def read_openrc(path):
    """Parse the `export NAME=value` lines that tools/harness/seed.py writes."""
    variables = {}
    with open(path) as handle:
        for line in handle:
            words = shlex.split(line, comments=True)
            if words and words[0] == "export":
                words = words[1:]
            for word in words:
                name, _, value = word.partition("=")
                variables[name] = value
    return variables


class CommandFailed(AssertionError):
    pass


class OpenStackCLI:
    """Runs the `openstack` command of the test venv as one of the harness users."""

    def __init__(self, state_dir):
        self.executable = os.path.join(os.path.dirname(sys.executable), "openstack")
        self.state_dir = state_dir
        # Nothing from the caller's own cloud configuration may leak into the commands.
        self.base_env = {
            name: value for name, value in os.environ.items() if not name.startswith("OS_")
        }

    def env_for(self, user):
        env = dict(self.base_env)
        env.update(read_openrc(os.path.join(self.state_dir, "openrc-%s" % user)))
        return env

    def run(self, user, *args, extra_env=None, expect_failure=False):
        """Run `openstack ARGS` as ``user`` (e.g. alpha-member) and return the result.

        Raises CommandFailed when the exit status does not match ``expect_failure``.
        """
        env = self.env_for(user)
        env.update(extra_env or {})
        command = [self.executable, *args]
        result = subprocess.run(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
        failed = result.returncode != 0
        if failed != expect_failure:
            raise CommandFailed(
                "openstack %s as %s exited with %d (expected %s)\nstdout:\n%s\nstderr:\n%s"
                % (
                    shlex.join(args),
                    user,
                    result.returncode,
                    "failure" if expect_failure else "success",
                    result.stdout,
                    result.stderr,
                )
            )
        return result

    def json(self, user, *args, extra_env=None):
        """Run `openstack ARGS -f json` as ``user`` and return the decoded output."""
        result = self.run(user, *args, "-f", "json", extra_env=extra_env)
        return json.loads(result.stdout)

    def error(self, user, *args, extra_env=None):
        """Run a command that must fail and return its standard error."""
        return self.run(user, *args, extra_env=extra_env, expect_failure=True).stderr


@pytest.fixture(scope="session")
def state_dir():
    path = os.environ.get("AWS_HYBRID_OSC_STATE_DIR")
    if not path:
        pytest.fail(
            "AWS_HYBRID_OSC_STATE_DIR is not set: run these tests with osc/tests/run.sh STATE_DIR",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def harness(state_dir):
    """The harness settings in env.json (it contains passwords: never print it)."""
    with open(os.path.join(state_dir, "env.json")) as handle:
        return json.load(handle)


@pytest.fixture(scope="session")
def cli(state_dir):
    return OpenStackCLI(state_dir)


def unique_name(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def create_instances(cli, *args):
    """Launch instances as alpha-member and return the created output of the first one."""
    return cli.json("alpha-member", "aws", "instance", "create", *args)


@pytest.fixture
def alpha_instance(cli):
    """A running instance of project alpha, terminated after the test."""
    name = unique_name("osc-test")
    instance = create_instances(cli, "--image", TEST_AMI, "--type", "t3.micro", "--name", name)
    yield instance
    cli.run("alpha-member", "aws", "instance", "delete", instance["id"])


@pytest.fixture(scope="session")
def shared_instance(cli):
    """An instance of project alpha with tags team=blue and cost=42, for tests that only read
    it or that check that an operation on it is rejected. It is terminated at the end."""
    name = unique_name("osc-shared")
    instance = create_instances(
        cli, "--image", TEST_AMI, "--type", "t3.micro", "--name", name,
        "--tag", "team=blue", "--tag", "cost=42",
    )
    yield instance
    cli.run("alpha-member", "aws", "instance", "delete", instance["id"])


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ExtraService:
    """An aws-hybrid-api process of its own, with the harness config and overrides."""

    def __init__(self, state_dir, overrides):
        binary = os.environ.get("AWS_HYBRID_API_BIN")
        if not binary:
            pytest.fail("AWS_HYBRID_API_BIN is not set: run these tests with osc/tests/run.sh")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        env = dict(os.environ)
        env.update(
            {
                "OS_API__BIND_HOST": "127.0.0.1",
                "OS_API__BIND_PORT": str(self.port),
                "OS_API__PUBLIC_ENDPOINT": self.url,
            }
        )
        env.update(overrides)
        self.log_path = os.path.join(state_dir, "logs", "aws-hybrid-api-osc-extra-%d.log" % self.port)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [binary, "--config-file", os.path.join(state_dir, "aws-hybrid.conf")],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        self._wait_ready()

    def _wait_ready(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    "aws-hybrid-api on port %d exited with %d; see %s"
                    % (self.port, self.process.returncode, self.log_path)
                )
            try:
                with NO_PROXY_OPENER.open(self.url + "/healthcheck", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail("aws-hybrid-api on port %d was not ready within 30 s" % self.port)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def extra_service(state_dir):
    """Start aws-hybrid-api processes with config overrides (OS_<GROUP>__<OPTION>)."""
    started = []

    def start(**overrides):
        service = ExtraService(state_dir, overrides)
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()
