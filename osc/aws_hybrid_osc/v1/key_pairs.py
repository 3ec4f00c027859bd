"""``openstack aws key pair`` commands: SSH key pairs of the current project that EC2 stores."""

import os

from osc_lib import exceptions
from osc_lib.cli import format_columns
from osc_lib.cli import parseractions
from osc_lib.command import command

from aws_hybrid_osc import api
from aws_hybrid_osc.v1 import common
from aws_hybrid_osc.v1.volumes import apply_to_each

KEY_TYPES = ("rsa", "ed25519")

FORMATTERS = {"tags": format_columns.DictColumn}

LIST_COLUMNS = (
    ("Name", "name"),
    ("Type", "key_type"),
    ("Fingerprint", "fingerprint"),
)

LONG_COLUMNS = LIST_COLUMNS + (
    ("ID", "id"),
    ("Created At", "created_at"),
    ("Tags", "tags"),
)


def _key_pair_path(name):
    return api.resource_path("key-pairs", name)


class ListKeyPair(command.Lister):
    """List the key pairs of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "--type",
            metavar="<key-type>",
            dest="key_type",
            choices=KEY_TYPES,
            help="Only key pairs of this type (%s)" % ", ".join(KEY_TYPES),
        )
        parser.add_argument(
            "--long", action="store_true", help="Also show the id, creation time and tags"
        )
        common.add_pagination_arguments(parser, "key pairs", marker_field="name")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        key_pairs = client.list_resources(
            "key-pairs",
            "key_pairs",
            filters={"key_type": parsed_args.key_type},
            limit=parsed_args.limit,
            marker=parsed_args.marker,
        )
        columns = LONG_COLUMNS if parsed_args.long else LIST_COLUMNS
        return common.list_output(columns, key_pairs, FORMATTERS)


class ShowKeyPair(command.ShowOne):
    """Show one key pair of the current project, with its public key"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("key_pair", metavar="<name>", help="Key pair name")
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        body = client.get_json(_key_pair_path(parsed_args.key_pair))
        return common.show_output(body["key_pair"], FORMATTERS)


def _read_public_key(path):
    """Return the contents of the public key file at ``path``, without surrounding
    whitespace; the service rejects a file with more than one key."""
    try:
        with open(os.path.expanduser(path)) as handle:
            return handle.read().strip()
    except (OSError, UnicodeDecodeError) as error:
        raise exceptions.CommandError(
            "Cannot read the public key file %s: %s" % (path, error)
        ) from error


def _create_private_key_file(path):
    """Create a new, empty file at ``path`` that only its owner may read, and return its open
    handle. It is created before the request, so that a bad path costs no key pair."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as error:
        raise exceptions.CommandError(
            "The private key file %s already exists; name a new file." % path
        ) from error
    except OSError as error:
        raise exceptions.CommandError(
            "Cannot create the private key file %s: %s" % (path, error.strerror)
        ) from error
    return os.fdopen(descriptor, "w")


class CreateKeyPair(command.ShowOne):
    """Create a key pair in the current project's AWS account, or import a public key

    EC2 returns the private key of a generated key pair once. With --private-key, the command
    writes it to that new file, created with mode 600, and leaves it out of the output.
    Without --private-key, the output shows it in the private_key field.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "name",
            metavar="<name>",
            help="Key pair name, unique in the AWS account and region",
        )
        parser.add_argument(
            "--type",
            metavar="<key-type>",
            dest="key_type",
            choices=KEY_TYPES,
            help="Type of key that EC2 generates (%s; default: rsa)" % ", ".join(KEY_TYPES),
        )
        source = parser.add_mutually_exclusive_group()
        source.add_argument(
            "--public-key",
            metavar="<file>",
            help="Import the OpenSSH public key in this file, e.g. ~/.ssh/id_ed25519.pub, "
            "instead of having EC2 generate a key pair",
        )
        source.add_argument(
            "--private-key",
            metavar="<file>",
            help="Save the private key of the generated key pair to this new file",
        )
        parser.add_argument(
            "--tag",
            metavar="<key=value>",
            dest="tags",
            action=parseractions.KeyValueAction,
            help="Tag to set on the key pair; repeat the option to set several",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        request = {"name": parsed_args.name}
        if parsed_args.key_type is not None:
            request["key_type"] = parsed_args.key_type
        if parsed_args.public_key is not None:
            request["public_key"] = _read_public_key(parsed_args.public_key)
        if parsed_args.tags is not None:
            request["tags"] = parsed_args.tags
        if parsed_args.private_key is None:
            body = client.post_json("key-pairs", {"key_pair": request})
            return common.show_output(body["key_pair"], FORMATTERS)

        path = os.path.expanduser(parsed_args.private_key)
        with _create_private_key_file(path) as handle:
            try:
                body = client.post_json("key-pairs", {"key_pair": request})
            except exceptions.CommandError:
                handle.close()
                os.unlink(path)
                raise
            key_pair = dict(body["key_pair"])
            handle.write(key_pair.pop("private_key", ""))
        return common.show_output(key_pair, FORMATTERS)


class DeleteKeyPair(command.Command):
    """Delete key pairs of the current project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "key_pairs",
            metavar="<name>",
            nargs="+",
            help="Key pair name to delete; repeat to name several",
        )
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.aws_hybrid
        apply_to_each(
            parsed_args.key_pairs,
            "key pair",
            "delete",
            lambda name: client.delete(_key_pair_path(name)),
        )
