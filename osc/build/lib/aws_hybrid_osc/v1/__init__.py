"""Commands for version 1 of the aws-hybrid API."""
