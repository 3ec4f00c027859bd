#!/usr/bin/env python3
"""Evaluate policy test cases with the real oslo.policy, for the differential test of
crates/policy (tests/oslo_differential.rs).

Usage: policy_oracle.py CASES_JSON

CASES_JSON contains {"case_sets": [...], "malformed": [...]}. Each case set has "defaults" (name,
check_str, description, operations as [method, path] pairs, scope_types), "policy_file" (a path
or null), "policy_dirs" (paths) and "cases" (id, rule, creds, target). For each case set this
builds one oslo.policy Enforcer, the way a service configures it, and prints one JSON object
on stdout:

  verdicts   {case id: {"verdict": "allow" | "deny" | "error", "error": text or null}}
  rules      {case set id: {rule name: str() of the parsed check in force}}
  samples    {case set id: the defaults formatted by oslopolicy-sample-generator}
  malformed  [str() of oslo.policy's parse of each malformed check string]
"""

import json
import logging
import os
import sys
import tempfile
import warnings

from oslo_config import cfg
from oslo_policy import _parser
from oslo_policy import generator
from oslo_policy import policy


def make_default(spec):
    scope_types = spec['scope_types'] or None
    description = spec['description'] or None
    if spec['operations']:
        operations = [
            {'method': method, 'path': path}
            for method, path in spec['operations']
        ]
        return policy.DocumentedRuleDefault(
            spec['name'],
            spec['check_str'],
            description,
            operations,
            scope_types=scope_types,
        )
    return policy.RuleDefault(
        spec['name'],
        spec['check_str'],
        description=description,
        scope_types=scope_types,
    )


def make_enforcer(case_set, absent_file):
    conf = cfg.ConfigOpts()
    conf(args=[], default_config_files=[], default_config_dirs=[])
    enforcer = policy.Enforcer(
        conf, policy_file=case_set['policy_file'] or absent_file
    )
    conf.set_override(
        'policy_dirs', case_set['policy_dirs'], group='oslo_policy'
    )
    defaults = [make_default(spec) for spec in case_set['defaults']]
    enforcer.register_defaults(defaults)
    enforcer.load_rules()
    return enforcer, defaults


def evaluate(enforcer, case):
    try:
        allowed = enforcer.enforce(case['rule'], case['target'], case['creds'])
    except Exception as e:
        return {'verdict': 'error', 'error': f'{type(e).__name__}: {e}'}
    return {'verdict': 'allow' if allowed else 'deny', 'error': None}


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: policy_oracle.py CASES_JSON')
    with open(sys.argv[1], encoding='utf-8') as f:
        corpus = json.load(f)

    # oslo.policy logs every rule it cannot parse and every undefined reference, which the
    # malformed cases produce on purpose.
    logging.disable(logging.CRITICAL)
    warnings.simplefilter('ignore')

    verdicts = {}
    rules = {}
    samples = {}
    with tempfile.TemporaryDirectory() as scratch:
        absent_file = os.path.join(scratch, 'absent-policy.yaml')
        for case_set in corpus['case_sets']:
            enforcer, defaults = make_enforcer(case_set, absent_file)
            for case in case_set['cases']:
                verdicts[str(case['id'])] = evaluate(enforcer, case)
            set_id = str(case_set['id'])
            rules[set_id] = {
                name: str(check) for name, check in enforcer.rules.items()
            }
            # The generator's private formatter, because its public entry points need an
            # installed entry point namespace.
            samples[set_id] = ''.join(
                generator._format_rule_default_yaml(default)
                for default in defaults
            )
    malformed = [str(_parser.parse_rule(text)) for text in corpus['malformed']]

    json.dump(
        {
            'verdicts': verdicts,
            'rules': rules,
            'samples': samples,
            'malformed': malformed,
        },
        sys.stdout,
    )


if __name__ == '__main__':
    main()
