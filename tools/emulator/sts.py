"""AssumeRole and AssumeRoleWithWebIdentity that check what AWS STS checks.

moto 5.2.5 issues credentials for any role ARN, ignores trust policies and
ExternalId, and accepts any web identity token. install() replaces moto's
two handlers on moto.sts.responses.TokenResponse with versions that:
  - validate the parameters against the constraints of the STS API model
    (botocore sts 2011-06-15) and return ValidationError (400) in AWS's
    "N validation error(s) detected: ..." format;
  - verify the web identity token (see emulator.oidc);
  - evaluate the role's trust policy (see emulator.policy) and return
    AccessDenied (403) when it does not allow the caller, or when the role
    does not exist, as AWS does;
  - reject a DurationSeconds above the role's MaxSessionDuration;
  - then let moto issue the credentials, register them for the expiry and
    session-token checks of emulator.credentials, and record the call for
    the introspection endpoint.

The AccessDenied messages are the ones AWS STS sends, as quoted in
published SDK error output: "User: <caller ARN> is not authorized to
perform: sts:AssumeRole on resource: <role ARN>" and "Not authorized to
perform sts:AssumeRoleWithWebIdentity".
NOTE: the caller's own identity policy is not evaluated here. moto checks
it only when its IAM authentication is on (INITIAL_NO_AUTH_ACTION_COUNT).
"""

import datetime
import logging
import re

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.iam.models import iam_backends
from moto.sts.responses import TokenResponse

from emulator import credentials, oidc, policy
from emulator.errors import EmulatedError, error_response
from emulator.introspection import CALL_LOG, CallRecord

LOG = logging.getLogger("aws_hybrid.emulator.sts")

ROLE_ARN = re.compile(r"arn:([\w-]+):iam::(\d{12}):role/.+")
MIN_DURATION_SECONDS = 900
MAX_DURATION_SECONDS = 43200
DEFAULT_DURATION_SECONDS = 3600
DEFAULT_MAX_SESSION_DURATION = 3600
MAX_SESSION_DURATION_MESSAGE = (
    "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
)

# Member -> (min length, max length, pattern or None), from the STS API model.
# Patterns are matched in ASCII mode because the model's \w is Java's.
STRING_CONSTRAINTS = {
    "roleArn": (20, 2048, None),
    "roleSessionName": (2, 64, r"[\w+=,.@-]*"),
    "externalId": (2, 1224, r"[\w+=,.@:\/-]*"),
    "webIdentityToken": (4, 20000, None),
}
# Members whose value must not appear in an error message.
SECRET_MEMBERS = {"webIdentityToken"}

# Set by install(): when not None, every issued credential lives this many
# seconds, whatever DurationSeconds requests. Real AWS has no such setting.
credential_lifetime_seconds = None


def validation_error(problems):
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return EmulatedError("ValidationError",
                         f"{count} validation {noun} detected: " + "; ".join(problems), 400)


def string_problems(member, value, required):
    if value is None:
        return [f"Value null at '{member}' failed to satisfy constraint: "
                "Member must not be null"] if required else []
    minimum, maximum, pattern = STRING_CONSTRAINTS[member]
    value_text = "Value" if member in SECRET_MEMBERS else f"Value '{value}'"
    prefix = f"{value_text} at '{member}' failed to satisfy constraint: Member must"
    problems = []
    if len(value) < minimum:
        problems.append(f"{prefix} have length greater than or equal to {minimum}")
    if len(value) > maximum:
        problems.append(f"{prefix} have length less than or equal to {maximum}")
    if pattern is not None and not re.fullmatch(pattern, value, re.ASCII):
        problems.append(f"{prefix} satisfy regular expression pattern: {pattern}")
    return problems


def duration_problems(duration):
    if duration is None:
        return []
    prefix = f"Value '{duration}' at 'durationSeconds' failed to satisfy constraint: Member must"
    if duration < MIN_DURATION_SECONDS:
        return [f"{prefix} have value greater than or equal to {MIN_DURATION_SECONDS}"]
    if duration > MAX_DURATION_SECONDS:
        return [f"{prefix} have value less than or equal to {MAX_DURATION_SECONDS}"]
    return []


def find_role(role_arn):
    """Return moto's Role for role_arn, or None when it does not exist."""
    match = ROLE_ARN.fullmatch(role_arn)
    if match is None:
        return None
    backend = iam_backends[match[2]][match[1]]
    return next((role for role in backend.get_roles() if role.arn == role_arn), None)


def role_account_backend(role_arn):
    """Return the IAM backend of the account in role_arn, or None for a malformed ARN."""
    match = ROLE_ARN.fullmatch(role_arn)
    return None if match is None else iam_backends[match[2]][match[1]]


def check_max_session_duration(role, duration):
    maximum = int(role.max_session_duration or DEFAULT_MAX_SESSION_DURATION)
    if duration is not None and duration > maximum:
        raise EmulatedError("ValidationError", MAX_SESSION_DURATION_MESSAGE, 400)


def iso_time(value):
    return value.replace(tzinfo=datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def issue_credentials(response, record, role_arn, session_name, duration, external_id):
    """Let moto issue the credentials, then apply the lifetime and register them."""
    assumed = response.backend.assume_role(
        region_name=response.region,
        role_session_name=session_name,
        role_arn=role_arn,
        policy=response._get_param("Policy"),
        duration=duration or DEFAULT_DURATION_SECONDS,
        external_id=external_id,
    )
    if credential_lifetime_seconds is not None:
        assumed.expiration = utcnow() + datetime.timedelta(seconds=credential_lifetime_seconds)
    credentials.REGISTRY.add(assumed.access_key_id, assumed.session_token, assumed.expiration)
    record.outcome = "success"
    record.access_key_id = assumed.access_key_id
    record.expiration = iso_time(assumed.expiration)
    return assumed


def finish(response, record, handler):
    """Run handler, turning an EmulatedError into its response, and record the call."""
    try:
        result = handler()
    except EmulatedError as error:
        record.error_code = error.code
        record.error_message = error.message
        LOG.info("%s of %s: %s (%s)", record.action, record.role_arn, error.code, error.message)
        return error_response(response, error)
    finally:
        CALL_LOG.append(record)
    LOG.info("%s of %s by %s: issued access key %s", record.action, record.role_arn,
             record.caller_arn or record.token_subject, record.access_key_id)
    return result


def assume_role(self):
    """Handle AssumeRole: validate, evaluate the trust policy, then issue credentials."""
    role_arn = self._get_param("RoleArn")
    session_name = self._get_param("RoleSessionName")
    external_id = self._get_param("ExternalId")
    duration = self._get_int_param("DurationSeconds")
    record = CallRecord(time=iso_time(utcnow()), action="AssumeRole", role_arn=role_arn,
                        role_session_name=session_name, external_id=external_id,
                        duration_seconds=duration)

    def handle():
        problems = (string_problems("roleArn", role_arn, required=True)
                    + string_problems("roleSessionName", session_name, required=True)
                    + string_problems("externalId", external_id, required=False)
                    + duration_problems(duration))
        if problems:
            raise validation_error(problems)

        _, caller_arn, caller_account = self.backend.get_caller_identity(
            self.access_key, self.region)
        record.caller_arn = caller_arn
        record.caller_account = caller_account
        role = find_role(role_arn)
        caller = policy.Caller(kind="AWS", arn=caller_arn, account=caller_account)
        # The condition keys that trust policies can test in this emulator.
        context = {
            "sts:ExternalId": external_id,
            "sts:RoleSessionName": session_name,
            "aws:PrincipalAccount": caller_account,
            "aws:PrincipalArn": caller_arn,
        }
        if role is None or not policy.is_allowed(role.assume_role_policy_document,
                                                 "sts:AssumeRole", caller, context):
            raise EmulatedError(
                "AccessDenied",
                f"User: {caller_arn} is not authorized to perform: sts:AssumeRole "
                f"on resource: {role_arn}",
                403,
            )
        check_max_session_duration(role, duration)

        assumed = issue_credentials(self, record, role_arn, session_name, duration, external_id)
        return ActionResult({
            "Credentials": assumed,
            "AssumedRoleUser": {"AssumedRoleId": assumed.user_id, "Arn": assumed.arn},
        })

    return finish(self, record, handle)


def assume_role_with_web_identity(self):
    """Handle AssumeRoleWithWebIdentity: verify the token, evaluate the trust policy, issue."""
    role_arn = self._get_param("RoleArn")
    session_name = self._get_param("RoleSessionName")
    token = self._get_param("WebIdentityToken")
    duration = self._get_int_param("DurationSeconds")
    record = CallRecord(time=iso_time(utcnow()), action="AssumeRoleWithWebIdentity",
                        role_arn=role_arn, role_session_name=session_name,
                        duration_seconds=duration)

    def handle():
        problems = (string_problems("roleArn", role_arn, required=True)
                    + string_problems("roleSessionName", session_name, required=True)
                    + string_problems("webIdentityToken", token, required=True)
                    + duration_problems(duration))
        if problems:
            raise validation_error(problems)

        denied = EmulatedError("AccessDenied",
                               "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)
        backend = role_account_backend(role_arn)
        if backend is None:
            raise denied
        verified = oidc.verify(token, backend.open_id_providers)
        record.token_issuer = verified.issuer
        record.token_subject = verified.subject
        record.token_audience = verified.audience

        role = find_role(role_arn)
        caller = policy.Caller(kind="Federated", arn=verified.provider_arn, account=None)
        # NOTE: <provider-id>:aud is the audience that matched a client ID of
        # the provider. The azp, amr and oaud claims are not offered as keys.
        context = {
            f"{verified.provider_id}:sub": verified.subject,
            f"{verified.provider_id}:aud": verified.audience,
            "sts:RoleSessionName": session_name,
        }
        if role is None or not policy.is_allowed(role.assume_role_policy_document,
                                                 "sts:AssumeRoleWithWebIdentity",
                                                 caller, context):
            raise denied
        check_max_session_duration(role, duration)

        assumed = issue_credentials(self, record, role_arn, session_name, duration, None)
        return ActionResult({
            "Credentials": assumed,
            "SubjectFromWebIdentityToken": verified.subject,
            "AssumedRoleUser": {"AssumedRoleId": assumed.user_id, "Arn": assumed.arn},
            "Provider": verified.issuer,
            "Audience": verified.audience,
        })

    return finish(self, record, handle)


def install(lifetime_seconds=None):
    """Replace moto's STS handlers and wrap its credential handling.

    lifetime_seconds, when not None, overrides the lifetime of every issued
    credential (a test setting that real AWS does not have).
    """
    global credential_lifetime_seconds
    credential_lifetime_seconds = lifetime_seconds
    TokenResponse.assume_role = assume_role
    TokenResponse.assume_role_with_web_identity = assume_role_with_web_identity
    credentials.install()
