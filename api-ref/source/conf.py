# Sphinx configuration of the aws-hybrid API reference.
#
# Build it with api-ref/build.sh, which pins Sphinx, os-api-ref and
# openstackdocstheme through api-ref/constraints.txt and treats warnings as
# errors.
#
# The build reads only local files. Besides the sources and Cargo.toml, the
# only things read are the checkout's git refs and the output of
# `git rev-parse`, both by openstackdocstheme 3.6.0. Its page templates,
# however, make the reader's browser load Google Analytics and the
# search.openstack.org widget. The theme options below turn the analytics
# off, and _templates/ replaces the search templates with empty ones, so the
# built pages load nothing from other sites.

import os
import tomllib

extensions = [
    'os_api_ref',
    'openstackdocstheme',
]

source_dir = os.path.dirname(os.path.abspath(__file__))
repo_root = os.path.dirname(os.path.dirname(source_dir))

with open(os.path.join(repo_root, 'Cargo.toml'), 'rb') as cargo_toml:
    release = tomllib.load(cargo_toml)['package']['version']
version = release

project = 'aws-hybrid'
copyright = 'aws-hybrid contributors'
master_doc = 'index'
source_suffix = {'.rst': 'restructuredtext'}
exclude_patterns = ['build']
templates_path = ['_templates']
pygments_style = 'native'

html_theme = 'openstackdocs'
html_theme_options = {
    'sidebar_dropdown': 'api_ref',
    'sidebar_mode': 'toc',
    'display_badge': False,
    'show_other_versions': False,
    # An empty tracking code drops the Google Analytics script from every page.
    'analytics_tracking_code': '',
}
html_title = 'aws-hybrid API Reference'

# The project name is set above, not read from a setup.cfg (there is none), and
# the API reference is not versioned per release series.
openstackdocs_auto_name = False
openstackdocs_auto_version = False

# os-api-ref reads these files without telling Sphinx, so an incremental build
# would keep stale tables after editing only them.
_UNTRACKED_INPUTS = ('parameters.yaml', 'status.yaml')


def _note_untracked_inputs(app, docname, source):
    for name in _UNTRACKED_INPUTS:
        app.env.note_dependency(os.path.join(app.srcdir, name))


def setup(app):
    app.connect('source-read', _note_untracked_inputs)
