"""Output helpers shared by the v1 commands."""

import argparse

from osc_lib import utils


def list_output(columns, items, formatters=None):
    """Return the (headers, rows) pair of a Lister.

    ``columns`` is a sequence of (header, API field) pairs.
    """
    headers = tuple(header for header, _ in columns)
    fields = tuple(field for _, field in columns)
    rows = (utils.get_dict_properties(item, fields, formatters=formatters) for item in items)
    return headers, rows


def show_output(resource, formatters=None):
    """Return the (fields, values) pair of a ShowOne: every API field, sorted by name."""
    fields = tuple(sorted(resource))
    return fields, utils.get_dict_properties(resource, fields, formatters=formatters)


def positive_int(text):
    """Parse a command-line value that must be an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("invalid integer %r" % text) from None
    if value < 1:
        raise argparse.ArgumentTypeError("%d is not a positive integer" % value)
    return value


def add_pagination_arguments(parser, resource, marker_field="id"):
    """Add --limit and --marker to a list command of ``resource`` (a plural noun) whose
    items are sorted by ``marker_field``."""
    parser.add_argument(
        "--limit",
        metavar="<num>",
        type=positive_int,
        help=(
            "Return at most this many %s, in one request. Without --limit, every page "
            "is fetched." % resource
        ),
    )
    parser.add_argument(
        "--marker",
        metavar="<%s>" % marker_field,
        help="Start after the item with this %s (the last one of the previous page)"
        % marker_field,
    )
