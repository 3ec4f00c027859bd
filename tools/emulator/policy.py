"""Evaluate IAM role trust policies for the emulator's STS calls.

The rules follow IAM's policy evaluation logic: an applicable Deny statement
wins, otherwise at least one applicable Allow statement is needed, and no
applicable statement means denied. Supported statement elements:
  - Effect: Allow or Deny;
  - Principal and NotPrincipal: "*", or the identity provider ARN for
    federated principals. For AWS principals also a 12-digit account ID, an
    account root ARN, an IAM user ARN, a role ARN (it matches every session
    of that role) or an assumed-role session ARN;
  - Action and NotAction, with the wildcards "*" and "?", case-insensitive;
  - Condition with the operators in STRING_OPERATORS and Null, each also
    with the IfExists suffix. Condition keys are case-insensitive.

Anything else in a statement (another operator, a ForAnyValue: or
ForAllValues: qualifier, a policy variable in a principal) is unsupported.
An Allow statement with an unsupported element never applies and a Deny
statement with one always applies, so such a policy fails closed.
"""

import json
import logging
import re
from dataclasses import dataclass

LOG = logging.getLogger("aws_hybrid.emulator.policy")

ACCOUNT_ID = re.compile(r"\d{12}")
ACCOUNT_ROOT_ARN = re.compile(r"arn:[\w-]+:iam::(\d{12}):root")
ROLE_ARN = re.compile(r"arn:[\w-]+:iam::(\d{12}):role/(?:.*/)?([^/]+)")
ASSUMED_ROLE_ARN = re.compile(r"arn:[\w-]+:sts::(\d{12}):assumed-role/([^/]+)/[^/]+")


class UnsupportedPolicyElement(Exception):
    """A trust policy uses an element that this evaluator does not implement."""


@dataclass(frozen=True)
class Caller:
    """The principal that sends an STS request.

    kind is the Principal element key that can name it: "AWS" for IAM users
    and role sessions, "Federated" for web identity callers. For federated
    callers, arn is the ARN of the IAM OIDC provider and account is None.
    """

    kind: str
    arn: str
    account: str | None


def wildcard_match(pattern, value, ignore_case=False):
    """Match value against an IAM pattern, where "*" is any run and "?" one character."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(regex, value, flags) is not None


def as_list(value):
    return value if isinstance(value, list) else [value]


def policy_string(value):
    """Return a condition value as IAM compares it: JSON true is "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def aws_principal_matches(value, caller):
    if value == "*":
        return True
    if ACCOUNT_ID.fullmatch(value):
        return caller.account == value
    root = ACCOUNT_ROOT_ARN.fullmatch(value)
    if root:
        return caller.account == root[1]
    role = ROLE_ARN.fullmatch(value)
    if role:
        # A role ARN names every session of the role. A session ARN has no
        # role path, so the account and role name are compared.
        session = ASSUMED_ROLE_ARN.fullmatch(caller.arn)
        return session is not None and (session[1], session[2]) == (role[1], role[2])
    if "${" in value:
        raise UnsupportedPolicyElement(f"policy variable in principal {value!r}")
    return value == caller.arn


def principal_matches(principal, caller):
    """Tell whether a Principal element names caller."""
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        raise UnsupportedPolicyElement(f"Principal {principal!r}")
    values = as_list(principal.get(caller.kind, []))
    if caller.kind == "AWS":
        return any(aws_principal_matches(policy_string(value), caller) for value in values)
    return any(policy_string(value) in ("*", caller.arn) for value in values)


def action_matches(actions, action):
    return any(wildcard_match(policy_string(pattern), action, ignore_case=True)
               for pattern in as_list(actions))


# Operator -> (negated, test of one policy value against the context value).
STRING_OPERATORS = {
    "StringEquals": (False, lambda pattern, value: value == pattern),
    "StringNotEquals": (True, lambda pattern, value: value == pattern),
    "StringEqualsIgnoreCase": (False, lambda pattern, value: value.lower() == pattern.lower()),
    "StringNotEqualsIgnoreCase": (True, lambda pattern, value: value.lower() == pattern.lower()),
    "StringLike": (False, wildcard_match),
    "StringNotLike": (True, wildcard_match),
}


def condition_holds(operator, key, policy_values, context):
    """Evaluate one operator on one condition key.

    A missing key makes a positive operator false and a negated one true,
    IfExists makes a missing key true, and Null tests only whether the key
    is present, as the IAM documentation of condition operators describes.
    """
    policy_values = [policy_string(value) for value in as_list(policy_values)]
    value = context.get(key.lower())
    if operator == "Null":
        return all((value is None) == (expected.lower() == "true") for expected in policy_values)

    if_exists = operator.endswith("IfExists")
    base_operator = operator.removesuffix("IfExists")
    if base_operator not in STRING_OPERATORS:
        raise UnsupportedPolicyElement(f"condition operator {operator}")
    negated, test = STRING_OPERATORS[base_operator]
    if value is None:
        return if_exists or negated
    matched = any(test(pattern, value) for pattern in policy_values)
    return not matched if negated else matched


def conditions_hold(conditions, context):
    for operator, keys in conditions.items():
        if not isinstance(keys, dict):
            raise UnsupportedPolicyElement(f"condition block of {operator}")
        for key, policy_values in keys.items():
            if not condition_holds(operator, key, policy_values, context):
                return False
    return True


def statement_applies(statement, action, caller, context):
    if "Principal" in statement:
        if not principal_matches(statement["Principal"], caller):
            return False
    elif "NotPrincipal" in statement:
        if principal_matches(statement["NotPrincipal"], caller):
            return False
    else:
        return False

    if "Action" in statement:
        if not action_matches(statement["Action"], action):
            return False
    elif "NotAction" in statement:
        if action_matches(statement["NotAction"], action):
            return False
    else:
        return False

    return conditions_hold(statement.get("Condition", {}), context)


def is_allowed(policy_document, action, caller, context):
    """Tell whether a trust policy lets caller perform action.

    policy_document is the JSON text moto stores for the role. context maps
    condition keys, in any case, to the string values of this request; a key
    that the request lacks is left out.
    """
    try:
        policy = json.loads(policy_document)
        statements = as_list(policy["Statement"])
    except (TypeError, ValueError, KeyError) as error:
        LOG.warning("trust policy is not valid JSON with a Statement element (%s); denying", error)
        return False
    context = {key.lower(): value for key, value in context.items() if value is not None}

    allowed = False
    for statement in statements:
        effect = statement.get("Effect") if isinstance(statement, dict) else None
        try:
            applies = isinstance(statement, dict) and statement_applies(
                statement, action, caller, context)
        except UnsupportedPolicyElement as error:
            LOG.warning("trust policy statement uses an unsupported element (%s); "
                        "treating it as %s", error,
                        "applying" if effect == "Deny" else "not applying")
            applies = effect == "Deny"
        if applies and effect == "Deny":
            return False
        if applies and effect == "Allow":
            allowed = True
    return allowed
