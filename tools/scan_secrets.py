#!/usr/bin/env python3
"""Fail when a secret of the test run appears in what the run recorded.

The Rust integration tests, with AWS_HYBRID_TEST_RECORD set, keep every
response body (responses.log), every service log (service-logs/) and every
password and token they made (secrets.txt) in one directory. This script
reads the harness's env.json for the secrets the harness made (Keystone
passwords, AWS secret access keys), adds secrets.txt, and looks for each of
them in every other file of the directory.

    scan_secrets.py --env STATE/env.json RECORD_DIR

It prints what it scanned and, for each finding, the file, the line number
and what kind of secret it was, never the secret itself. Exit status: 0 when
nothing was found, 1 when a secret was found, 2 when there was nothing to
scan (an empty record would prove nothing).
"""

import argparse
import json
import os
import sys

# Shorter strings could match ordinary text by chance.
MIN_SECRET_LEN = 8


def harness_secrets(env):
    """(kind, value) pairs of the secrets in the harness's env.json."""
    found = [
        ("Keystone admin password", env["keystone_admin"]["password"]),
        ("service user password", env["service_user"]["password"]),
    ]
    for name, project in env["projects"].items():
        found.append((f"{name} member password", project["member"]["password"]))
        found.append((f"{name} reader password", project["reader"]["password"]))
        found.append((f"{name} AWS secret access key", project["aws_secret_access_key"]))
    return found


def recorded_secrets(path):
    """(kind, value) pairs of the passwords and tokens the tests recorded."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        values = {line.strip() for line in handle if line.strip()}
    return [("password or token made by a test", value) for value in sorted(values)]


def files_to_scan(record_dir):
    for parent, _, names in os.walk(record_dir):
        for name in sorted(names):
            if name != "secrets.txt":
                yield os.path.join(parent, name)


def scan(record_dir, secrets):
    """Return (files, lines, findings); a finding is (path, line number, kind)."""
    secrets = [(kind, value) for kind, value in secrets if len(value) >= MIN_SECRET_LEN]
    files = lines = 0
    findings = []
    for path in files_to_scan(record_dir):
        files += 1
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                lines += 1
                for kind, value in secrets:
                    if value in line:
                        findings.append((path, number, kind))
    return files, lines, findings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, help="the harness's env.json")
    parser.add_argument("record_dir", help="the directory of AWS_HYBRID_TEST_RECORD")
    args = parser.parse_args(argv)

    with open(args.env, encoding="utf-8") as handle:
        env = json.load(handle)
    secrets = harness_secrets(env) + recorded_secrets(os.path.join(args.record_dir, "secrets.txt"))
    files, lines, findings = scan(args.record_dir, secrets)
    print(f"scan_secrets: {len(secrets)} secrets, {files} files, {lines} lines")
    if lines == 0:
        print("scan_secrets: nothing was recorded; run the tests with AWS_HYBRID_TEST_RECORD set")
        return 2
    for path, number, kind in findings:
        print(f"scan_secrets: {path}:{number}: contains a {kind}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
