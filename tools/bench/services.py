"""Start, probe and stop the processes the benchmark measures, and talk HTTP to them.

Every address used here is 127.0.0.1: check_loopback_url() rejects any other
host before a request is made.
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse

import procinfo

READY_LINE = re.compile(rb"aws-hybrid-api is ready.*startup_ms=(\d+)")


def check_loopback_url(url):
    """Return (host, port) of an http URL, raising SystemExit when the host is not 127.0.0.1."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or parts.hostname != "127.0.0.1" or parts.port is None:
        raise SystemExit(
            f"bench: {url!r} is not an http://127.0.0.1:PORT URL, and the bench sends requests to 127.0.0.1 only"
        )
    return parts.hostname, parts.port


class Connection:
    """One persistent HTTP/1.1 connection to a loopback port, with per-request timing."""

    def __init__(self, port, timeout=60):
        self.port = port
        self.timeout = timeout
        self.connects = 0
        self._connection = None

    def request(self, method, path, headers=None, body=None):
        """Send one request and read the whole response.

        Returns (status, response headers, body bytes, seconds from sending to the
        last body byte). A dropped keep-alive connection is reopened once and the
        request sent again, and the timing then includes the new connect.
        """
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=self.timeout
                )
                self.connects += 1
            started = time.perf_counter()
            try:
                self._connection.request(method, path, body=body, headers=headers or {})
                response = self._connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
                continue
            elapsed = time.perf_counter() - started
            if response.will_close:
                self.close()
            return response.status, response.headers, data, elapsed
        raise AssertionError("unreachable")

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def http_status(port, path, timeout=1.0):
    """Return the status of GET path on 127.0.0.1:port over a new connection, or None."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
            )
            head = sock.recv(32)
    except OSError:
        return None
    match = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    return int(match.group(1)) if match else None


def wait_for_status(port, path, expected, process, timeout, poll_interval=0.001):
    """Poll GET path until it returns the expected status, and return the time.monotonic() then.

    Raises RuntimeError when process exits first or timeout seconds pass.
    """
    deadline = time.monotonic() + timeout
    while True:
        if http_status(port, path) == expected:
            return time.monotonic()
        if process.poll() is not None:
            raise RuntimeError(
                f"process {process.pid} exited with status {process.returncode} "
                f"before GET {path} on port {port} returned {expected}"
            )
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"GET {path} on port {port} did not return {expected} within {timeout} s"
            )
        time.sleep(poll_interval)


def wait_port_closed(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while _port_accepts(port):
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"port {port} on 127.0.0.1 is still open {timeout} s after stopping its process"
            )
        time.sleep(0.05)


def _port_accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class ManagedProcess:
    """A process started in its own session and recorded in STATE_DIR/pids/ for down.sh."""

    def __init__(self, name, command, port, log_path, pid_dir, env=None):
        if _port_accepts(port):
            raise RuntimeError(
                f"port {port} on 127.0.0.1 is already in use. Stop the process listening there and run again"
            )
        self.name = name
        self.port = port
        self.pid_dir = pid_dir
        self.log_path = log_path
        # Where this run's output starts in a log file that earlier runs appended to.
        self.log_offset = os.path.getsize(log_path) if os.path.exists(log_path) else 0
        self._log = open(log_path, "ab")
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
        self.pid = self.process.pid
        procinfo.record_process(pid_dir, name, self.pid, port)

    def stop(self, timeout=10.0):
        """Send SIGTERM, wait up to timeout seconds, then SIGKILL the process tree."""
        if self.process.poll() is None:
            tree = procinfo.process_tree(self.pid)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                for member in tree:
                    try:
                        os.kill(member, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.process.wait()
        self._log.close()
        procinfo.forget_process(self.pid_dir, self.name)
        wait_port_closed(self.port)


def read_startup_ms(log_path, offset=0, timeout=2.0):
    """Return startup_ms from the ready line after offset in a log, waiting up to timeout s."""
    deadline = time.monotonic() + timeout
    while True:
        with open(log_path, "rb") as handle:
            handle.seek(offset)
            match = READY_LINE.search(handle.read())
        if match:
            return int(match.group(1))
        if time.monotonic() > deadline:
            raise RuntimeError(f"no 'aws-hybrid-api is ready ... startup_ms=' line in {log_path}")
        time.sleep(0.01)


def keystone_uwsgi_command(harness_dir, venv, port, conf_dir):
    """Return the uWSGI command line that the harness uses for Keystone, from common.sh."""
    output = subprocess.run(
        [
            "bash",
            "-c",
            'source "$0" && keystone_uwsgi_command "$1" "$2" "$3"',
            os.path.join(harness_dir, "common.sh"),
            venv,
            str(port),
            conf_dir,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return output.splitlines()
