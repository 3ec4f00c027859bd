"""openstackclient plugin for aws-hybrid, the OpenStack service that manages AWS resources."""
