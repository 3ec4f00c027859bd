"""tools/scan_secrets.py finds a planted secret without printing it."""

import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import scan_secrets  # noqa: E402

ENV = {
    "keystone_admin": {"password": "admin-password-1"},
    "service_user": {"password": "service-password-1"},
    "projects": {"alpha": {
        "member": {"password": "member-password-1"},
        "reader": {"password": "reader-password-1"},
        "aws_secret_access_key": "aws-secret-key-1234567890",
    }},
}


class ScanSecrets(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.env = os.path.join(self.dir.name, "env.json")
        with open(self.env, "w", encoding="utf-8") as handle:
            json.dump(ENV, handle)
        self.record = os.path.join(self.dir.name, "record")
        os.makedirs(os.path.join(self.record, "service-logs"))

    def write(self, name, text):
        with open(os.path.join(self.record, name), "a", encoding="utf-8") as handle:
            handle.write(text)

    def run_scan(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = scan_secrets.main(["--env", self.env, self.record])
        return status, out.getvalue()

    def test_clean_record_passes(self):
        self.write("responses.log", '200 http://127.0.0.1:1/v1/instances {"instances": []}\n')

        status, out = self.run_scan()

        self.assertEqual(status, 0, out)

    def test_harness_secret_in_a_log_found_and_not_printed(self):
        self.write("service-logs/a.log", "line one\nthe key is aws-secret-key-1234567890\n")

        status, out = self.run_scan()

        self.assertEqual(status, 1)
        self.assertIn("a.log:2: contains a alpha AWS secret access key", out)
        self.assertNotIn("aws-secret-key-1234567890", out)

    def test_recorded_token_in_a_response_found(self):
        self.write("secrets.txt", "gAAAAAB-token-value\n")
        self.write("responses.log", "401 http://x {\"token\": \"gAAAAAB-token-value\"}\n")

        status, out = self.run_scan()

        self.assertEqual(status, 1)
        self.assertIn("responses.log:1", out)

    def test_empty_record_is_not_a_pass(self):
        status, _ = self.run_scan()

        self.assertEqual(status, 2)


if __name__ == "__main__":
    unittest.main()
