"""Measure listing a large project through aws-hybrid beside paging the emulator with boto3.

tools/bench/run-listing-scale.sh builds the binary, brings up a private harness
and runs this with the harness venv's python. The steps, in order:

1. Seed moto directly with boto3, in the AWS account mapped to project alpha:
   instances (RunInstances in batches), security groups and volumes. Each gets
   the tags the service puts on what it creates: aws-hybrid:project-id,
   aws-hybrid:user-id of alpha-member, a fresh aws-hybrid:request-id per create
   call, and Name on instances and volumes. The service therefore lists them as
   alpha's.
2. Start aws-hybrid-api with the harness config and an override (info-level
   logs, loopback bind).
3. Repeat, for each resource: page through GET /v1/<resource> as alpha-member
   with limit = [api] max_limit, following the next links, and page through
   DescribeInstances, DescribeSecurityGroups or DescribeVolumes with the
   filter tag:aws-hybrid:project-id=<project id> and MaxResults 1000,
   following NextToken. The two sides alternate which goes first.
   Both must return the same ids.
4. Replay, with boto3, the EC2 calls the service makes for each list, one call
   at a time, to show where the service's time goes.

Results go to --output as JSON, and the tables are printed as Markdown.
Tokens, passwords and AWS keys are never printed or written to the results.
"""

import argparse
import configparser
import importlib.metadata
import json
import os
import resource
import statistics
import sys
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# boto3_list disables the EC2 metadata lookup and local AWS config when it is imported.
import boto3_list  # noqa: E402
import procinfo  # noqa: E402
import services  # noqa: E402
import tokens  # noqa: E402
from listing import MOTO_CALL  # noqa: E402
from services import Connection, ManagedProcess  # noqa: E402

PROJECT_TAG = "aws-hybrid:project-id"
USER_TAG = "aws-hybrid:user-id"
REQUEST_TAG = "aws-hybrid:request-id"
# The image and type the other benchmarks launch. moto checks neither unless
# MOTO_ENABLE_AMI_VALIDATION or MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION is set.
IMAGE_ID = "ami-12c6146b"
INSTANCE_TYPE = "t3.micro"
# POST /v1/instances launches at most 20 instances per request (MAX_COUNT in src/api/instances.rs).
LAUNCH_BATCH = 20
# [api] max_limit when no config file sets it.
DEFAULT_MAX_LIMIT = 1000
# MaxResults of the direct listings. aws-hybrid sends 1000 with DescribeInstances
# and DescribeSecurityGroups and 500 with DescribeVolumes (src/cloud/aws/). moto
# 5.2.5 pages DescribeInstances by reservations, not instances, and ignores
# MaxResults in DescribeSecurityGroups and DescribeVolumes.
MAX_RESULTS = 1000
# MaxResults of aws-hybrid's DescribeVolumes walk (describe in src/cloud/aws/volumes.rs).
SERVICE_VOLUME_MAX_RESULTS = 500
# aws-hybrid requests the rules of at most this many groups per
# DescribeSecurityGroupRules walk (GROUP_IDS_PER_RULE_WALK in src/cloud/aws/security_groups.rs).
RULE_WALK_GROUPS = 200
RESOURCES = ("instances", "security_groups", "volumes")
API_PATHS = {
    "instances": "/v1/instances",
    "security_groups": "/v1/security-groups",
    "volumes": "/v1/volumes",
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--state-dir", required=True, help="harness state directory (env.json, aws-hybrid.conf)"
    )
    parser.add_argument("--binary", required=True, help="path of the aws-hybrid-api release binary")
    parser.add_argument("--output", required=True, help="JSON file for the results")
    parser.add_argument("--revision", default="", help="source revision to record, e.g. a commit id")
    parser.add_argument(
        "--instances", type=int, default=1000, help="instances of the project (default 1000)"
    )
    parser.add_argument(
        "--security-groups",
        type=int,
        default=500,
        help="security groups of the project (default 500)",
    )
    parser.add_argument(
        "--volumes", type=int, default=500, help="volumes created with CreateVolume (default 500)"
    )
    parser.add_argument(
        "--tag-root-volumes",
        action="store_true",
        help="tag the instances' root volumes with the project too, as POST /v1/instances does; "
        "the project then lists --instances more volumes",
    )
    parser.add_argument(
        "--repetitions",
        type=int,
        default=7,
        help="measured listings per resource and side (default 7)",
    )
    parser.add_argument(
        "--replays",
        type=int,
        default=3,
        help="replays of the service's EC2 calls per resource, 0 to skip (default 3)",
    )
    parser.add_argument(
        "--max-limit",
        type=int,
        default=None,
        help="set [api] max_limit in the override config, and list with that limit "
        f"(default: the configured value, {DEFAULT_MAX_LIMIT} when none is set)",
    )
    args = parser.parse_args()
    for name in ("instances", "security_groups", "volumes", "repetitions"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.replays < 0:
        parser.error("--replays must be 0 or more")
    if args.max_limit is not None and args.max_limit < 1:
        parser.error("--max-limit must be at least 1")
    return args


def _say(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _self_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# Keystone


def member_token_and_user_id(keystone_port, project):
    """Issue a token of the project's member and return it with the member's Keystone user id."""
    keystone = Connection(keystone_port)
    try:
        token, _ = tokens.issue_member_token(keystone, project)
        # Any user may validate their own token, and the body names the user.
        status, _, data, _ = keystone.request(
            "GET",
            "/v3/auth/tokens?nocatalog",
            headers={"X-Auth-Token": token, "X-Subject-Token": token},
        )
    finally:
        # The harness Keystone has one uWSGI worker, which stays with an open
        # keep-alive connection, so free it for aws-hybrid.
        keystone.close()
    if status != 200:
        raise RuntimeError(f"Keystone returned HTTP {status} when validating the member's token")
    return token, json.loads(data)["token"]["user"]["id"]


# Seeding


def service_tags(project_id, user_id, name=None):
    """Return the tags aws-hybrid puts on a resource that one API request creates.

    The service adds a Name tag to the instances and volumes that a request names,
    but never to security groups, whose name is the group name.
    """
    tags = [
        {"Key": PROJECT_TAG, "Value": project_id},
        {"Key": USER_TAG, "Value": user_id},
        {"Key": REQUEST_TAG, "Value": f"req-{uuid.uuid4()}"},
    ]
    if name is not None:
        tags.append({"Key": "Name", "Value": name})
    return tags


def seed(client, project_id, user_id, region, args, existing):
    """Create the resources the project lacks, and return the seconds each kind took."""
    seconds = {}
    started = time.monotonic()
    missing = args.instances - existing["instances"]
    while missing > 0:
        count = min(missing, LAUNCH_BATCH)
        tags = service_tags(project_id, user_id, f"listing-scale-{uuid.uuid4().hex[:8]}")
        specifications = [{"ResourceType": "instance", "Tags": tags}]
        if args.tag_root_volumes:
            specifications.append({"ResourceType": "volume", "Tags": tags})
        client.run_instances(
            ImageId=IMAGE_ID,
            InstanceType=INSTANCE_TYPE,
            MinCount=count,
            MaxCount=count,
            ClientToken=str(uuid.uuid4()),
            TagSpecifications=specifications,
        )
        missing -= count
    seconds["instances"] = time.monotonic() - started

    started = time.monotonic()
    for _ in range(args.security_groups - existing["security_groups"]):
        name = f"listing-scale-{uuid.uuid4().hex[:12]}"
        client.create_security_group(
            GroupName=name,
            # POST /v1/security-groups uses the name when the request gives no description.
            Description=name,
            TagSpecifications=[
                {"ResourceType": "security-group", "Tags": service_tags(project_id, user_id)}
            ],
        )
    seconds["security_groups"] = time.monotonic() - started

    started = time.monotonic()
    # Counted again, because the instances' root volumes may carry the project tag now.
    wanted_volumes = args.volumes + (args.instances if args.tag_root_volumes else 0)
    present_volumes = len(list_directly(client, "volumes", project_id)[0])
    for _ in range(wanted_volumes - present_volumes):
        name = f"listing-scale-{uuid.uuid4().hex[:12]}"
        client.create_volume(
            AvailabilityZone=f"{region}a",
            Size=1,
            VolumeType="gp2",
            Encrypted=False,
            ClientToken=str(uuid.uuid4()),
            TagSpecifications=[
                {"ResourceType": "volume", "Tags": service_tags(project_id, user_id, name)}
            ],
        )
    seconds["volumes"] = time.monotonic() - started
    return seconds


# The two sides of the measurement


def page_through(call, request, items_of):
    """Call an EC2 Describe operation until NextToken ends, and return (ids, pages)."""
    request = dict(request)
    ids, pages = [], 0
    while True:
        page = call(**request)
        pages += 1
        ids.extend(items_of(page))
        token = page.get("NextToken")
        if not token:
            return ids, pages
        request["NextToken"] = token


def instance_ids(page):
    return [
        instance["InstanceId"]
        for reservation in page["Reservations"]
        for instance in reservation["Instances"]
    ]


def list_directly(client, kind, project_id):
    """Page through one resource of the project with boto3, and return (ids, pages)."""
    request = {
        "Filters": [{"Name": f"tag:{PROJECT_TAG}", "Values": [project_id]}],
        "MaxResults": MAX_RESULTS,
    }
    if kind == "instances":
        return page_through(client.describe_instances, request, instance_ids)
    if kind == "security_groups":
        return page_through(
            client.describe_security_groups,
            request,
            lambda page: [group["GroupId"] for group in page["SecurityGroups"]],
        )
    return page_through(
        client.describe_volumes,
        request,
        lambda page: [volume["VolumeId"] for volume in page["Volumes"]],
    )


class ServiceLister:
    """Pages through GET /v1/<resource> on one keep-alive connection, following next links."""

    def __init__(self, api_port, token, limit):
        self.api_port = api_port
        self.token = token
        self.limit = limit
        self.connection = Connection(api_port, timeout=300)

    def list(self, kind):
        """Return (ids, pages) of one resource, parsing every page's JSON body."""
        collection = kind
        target = f"{API_PATHS[kind]}?limit={self.limit}"
        ids, pages = [], 0
        while target is not None:
            status, _, data, _ = self.connection.request(
                "GET", target, headers={"X-Auth-Token": self.token}
            )
            if status != 200:
                raise RuntimeError(f"GET {target} returned HTTP {status}: {data[:300]!r}")
            body = json.loads(data)
            pages += 1
            ids.extend(item["id"] for item in body[collection])
            target = self._next_target(body.get(f"{collection}_links", []))
        return ids, pages

    def _next_target(self, links):
        """Return the path and query of the next link, or None on the last page."""
        for link in links:
            if link.get("rel") == "next":
                _, port = services.check_loopback_url(link["href"])
                if port != self.api_port:
                    raise RuntimeError(
                        f"next link {link['href']!r} points to port {port}, expected {self.api_port}"
                    )
                parts = urllib.parse.urlsplit(link["href"])
                return f"{parts.path}?{parts.query}"
        return None

    def close(self):
        self.connection.close()


class Meter:
    """Times one listing and records the CPU each process used and moto's calls during it."""

    def __init__(self, pids, moto_log):
        self.pids = pids
        self.moto_log = moto_log

    def _snapshot(self):
        snapshot = {name: procinfo.tree_cpu_seconds(pid) for name, pid in self.pids.items()}
        snapshot["client"] = _self_cpu()
        snapshot["system_busy_ticks"] = procinfo.system_cpu_ticks()[0]
        snapshot["moto_log_size"] = os.path.getsize(self.moto_log)
        return snapshot

    def run(self, function):
        """Run function() and return (its result, a sample of wall time, CPU and moto calls)."""
        before = self._snapshot()
        started = time.perf_counter()
        result = function()
        wall = time.perf_counter() - started
        after = self._snapshot()
        cpu = {name: after[name] - before[name] for name in (*self.pids, "client")}
        busy = (after["system_busy_ticks"] - before["system_busy_ticks"]) / procinfo.CLOCK_TICKS
        sample = {
            "wall_s": wall,
            "cpu_s": cpu,
            # Cores that processes outside the measurement kept busy, such as a build.
            "other_cores": (busy - sum(cpu.values())) / wall,
            "moto_calls": self._moto_calls(before["moto_log_size"], after["moto_log_size"]),
        }
        return result, sample

    def _moto_calls(self, start, end):
        with open(self.moto_log, "rb") as handle:
            handle.seek(start)
            return len(MOTO_CALL.findall(handle.read(end - start)))


def summarise(samples):
    """Return the medians of a side's samples, and the samples themselves."""
    names = samples[0]["cpu_s"].keys()
    return {
        "wall_s_median": statistics.median(s["wall_s"] for s in samples),
        "wall_s_min": min(s["wall_s"] for s in samples),
        "wall_s_max": max(s["wall_s"] for s in samples),
        "cpu_s_median": {
            name: statistics.median(s["cpu_s"][name] for s in samples) for name in names
        },
        "moto_calls_median": statistics.median(s["moto_calls"] for s in samples),
        "other_cores_median": statistics.median(s["other_cores"] for s in samples),
        "samples": samples,
    }


def measure(kind, lister, client, project_id, meter, repetitions, expected):
    """Measure one resource on both sides and check that they list the same ids."""
    # One pass per side comes before the measured ones. In it the service validates the
    # token, builds its AWS client and reads every security group's rule IDs
    # (src/cloud/aws/rule_ids.rs), and botocore loads its EC2 model. This first pass is
    # timed too and reported apart from the medians.
    (warm_service, _), first_service = meter.run(lambda: lister.list(kind))
    (warm_direct, _), first_direct = meter.run(lambda: list_directly(client, kind, project_id))
    service_samples, direct_samples = [], []
    pages = {}
    for index in range(repetitions):
        sides = [("service", lambda: lister.list(kind)),
                 ("boto3", lambda: list_directly(client, kind, project_id))]
        # Alternate the order so that neither side always runs right after the other.
        if index % 2 == 1:
            sides.reverse()
        for side, function in sides:
            (ids, page_count), sample = meter.run(function)
            if len(ids) != expected:
                raise RuntimeError(f"{side} listed {len(ids)} {kind}, expected {expected}")
            if len(set(ids)) != len(ids):
                raise RuntimeError(f"{side} listed some {kind} more than once")
            pages[side] = page_count
            if side == "service":
                service_ids = sorted(ids)
                service_samples.append(sample)
            else:
                direct_ids = sorted(ids)
                direct_samples.append(sample)
        if service_ids != direct_ids:
            raise RuntimeError(f"the service and boto3 listed different {kind}")
    if sorted(warm_service) != sorted(warm_direct):
        raise RuntimeError(f"the service and boto3 listed different {kind} in the warm-up pass")
    service = summarise(service_samples)
    direct = summarise(direct_samples)
    return {
        "items": expected,
        "pages": pages,
        "service": service,
        "boto3": direct,
        "ratio": service["wall_s_median"] / direct["wall_s_median"],
        "first_pass": {"service": first_service, "boto3": first_direct},
    }


# Replay of the service's EC2 calls


def timed(call, **request):
    started = time.perf_counter()
    response = call(**request)
    return response, time.perf_counter() - started


def replay_service_calls(client, kind, project_id):
    """Make the EC2 calls aws-hybrid makes for one list, and return each call's name and seconds.

    The calls follow src/cloud/aws/instances.rs (walk_account), security_groups.rs
    (describe_groups, then describe_rules) and volumes.rs (describe). The rules walks
    are those of a first listing; later listings reuse the rule IDs they read while
    the groups' permissions stay the same.
    """
    calls = []

    def walk(name, call, request, items_of):
        request = dict(request)
        items = []
        while True:
            page, seconds = timed(call, **request)
            calls.append({"action": name, "seconds": seconds})
            items.extend(items_of(page))
            token = page.get("NextToken")
            if not token:
                return items
            request["NextToken"] = token

    if kind == "instances":
        # The service walks every instance it tagged in the account, of all
        # projects, and keeps the project's afterwards.
        walk(
            "DescribeInstances (filter tag-key)",
            client.describe_instances,
            {"Filters": [{"Name": "tag-key", "Values": [PROJECT_TAG]}], "MaxResults": 1000},
            instance_ids,
        )
    elif kind == "security_groups":
        group_ids = walk(
            "DescribeSecurityGroups",
            client.describe_security_groups,
            {
                "Filters": [{"Name": f"tag:{PROJECT_TAG}", "Values": [project_id]}],
                "MaxResults": 1000,
            },
            lambda page: [group["GroupId"] for group in page["SecurityGroups"]],
        )
        for start in range(0, len(group_ids), RULE_WALK_GROUPS):
            chunk = group_ids[start : start + RULE_WALK_GROUPS]
            walk(
                f"DescribeSecurityGroupRules ({len(chunk)} group ids, first listing only)",
                client.describe_security_group_rules,
                {"Filters": [{"Name": "group-id", "Values": chunk}], "MaxResults": 1000},
                lambda page: page["SecurityGroupRules"],
            )
    else:
        walk(
            "DescribeVolumes",
            client.describe_volumes,
            {
                "Filters": [{"Name": f"tag:{PROJECT_TAG}", "Values": [project_id]}],
                "MaxResults": SERVICE_VOLUME_MAX_RESULTS,
            },
            lambda page: [volume["VolumeId"] for volume in page["Volumes"]],
        )
    return calls


def replay(client, kind, project_id, rounds):
    """Return, per EC2 call of the service's sequence, the median seconds over rounds replays."""
    runs = [replay_service_calls(client, kind, project_id) for _ in range(rounds)]
    result = []
    for position, call in enumerate(runs[0]):
        seconds = [run[position]["seconds"] for run in runs if len(run) > position]
        result.append({"action": call["action"], "seconds_median": statistics.median(seconds)})
    return {
        "calls": result,
        "total_s_median": statistics.median(sum(c["seconds"] for c in run) for run in runs),
    }


# aws-hybrid-api


def api_config_files(state_dir, port, max_limit):
    """Return the harness service config and an override: info-level logs, loopback bind."""
    service_conf = os.path.join(state_dir, "aws-hybrid.conf")
    parser = configparser.RawConfigParser()
    parser.read(service_conf)
    services.check_loopback_url(parser.get("aws", "endpoint_url"))
    services.check_loopback_url(parser.get("keystone_authtoken", "auth_url"))
    override = os.path.join(state_dir, "listing-scale-override.conf")
    # The harness config sets debug = true for the tests. A deployment logs at info
    # level, which still writes one line per request.
    text = f"[DEFAULT]\ndebug = false\n\n[api]\nbind_host = 127.0.0.1\nbind_port = {port}\n"
    if max_limit is not None:
        text += f"max_limit = {max_limit}\n"
    with open(override, "w") as handle:
        handle.write(text)
    return [service_conf, override]


def configured_max_limit(config_files):
    """Return [api] max_limit as the service reads it: the last file that sets it wins."""
    value = DEFAULT_MAX_LIMIT
    for path in config_files:
        parser = configparser.RawConfigParser()
        parser.read(path)
        if parser.has_option("api", "max_limit"):
            value = parser.getint("api", "max_limit")
    return value


def start_api(binary, state_dir, port, config_files):
    command = [binary]
    for path in config_files:
        command += ["--config-file", path]
    process = ManagedProcess(
        "bench-listing-scale-api",
        command,
        port,
        os.path.join(state_dir, "logs", "aws-hybrid-api-listing-scale.log"),
        os.path.join(state_dir, "pids"),
    )
    try:
        services.wait_for_status(port, "/healthcheck", 200, process.process, timeout=30)
    except BaseException:
        process.stop()
        raise
    return process


def recorded_pid(state_dir, name):
    with open(os.path.join(state_dir, "pids", f"{name}.pid")) as handle:
        return int(handle.read())


def project_region(state_dir, project_id):
    parser = configparser.RawConfigParser()
    parser.read(os.path.join(state_dir, "tenants.conf"))
    return parser.get(f"project:{project_id}", "region")


def count_existing(client, project_id):
    return {kind: len(list_directly(client, kind, project_id)[0]) for kind in RESOURCES}


def versions():
    names = ("moto", "boto3", "botocore", "keystone")
    found = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    found["python"] = sys.version.split()[0]
    return found


# Report


def render(results):
    """Return the results as Markdown tables."""
    lines = [
        "| resource | items | service pages | boto3 pages | aws-hybrid median (s) | boto3 median (s) | ratio | target ≤ 1.1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind in RESOURCES:
        r = results["listing"][kind]
        verdict = "met" if r["ratio"] <= 1.1 else "**missed**"
        lines.append(
            f"| {kind} | {r['items']} | {r['pages']['service']} | {r['pages']['boto3']} "
            f"| {r['service']['wall_s_median']:.3f} | {r['boto3']['wall_s_median']:.3f} "
            f"| {r['ratio']:.2f}× | {verdict} |"
        )
    lines += [
        "",
        "CPU seconds per listing (medians) and moto calls per listing:",
        "",
        "| resource, side | wall (s) | moto CPU (s) | aws-hybrid CPU (s) | client CPU (s) | moto calls | other (cores) |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in RESOURCES:
        for side in ("service", "boto3"):
            s = results["listing"][kind][side]
            cpu = s["cpu_s_median"]
            lines.append(
                f"| {kind}, {'aws-hybrid' if side == 'service' else 'boto3'} "
                f"| {s['wall_s_median']:.3f} | {cpu['moto']:.3f} | {cpu['aws-hybrid-api']:.3f} "
                f"| {cpu['client']:.3f} | {s['moto_calls_median']:.0f} | {s['other_cores_median']:.2f} |"
            )
    lines += [
        "",
        "The first listing of each side, before the measured ones:",
        "",
        "| resource | aws-hybrid (s) | boto3 (s) | ratio | moto calls, aws-hybrid / boto3 |",
        "|---|---|---|---|---|",
    ]
    for kind in RESOURCES:
        first = results["listing"][kind]["first_pass"]
        service, direct = first["service"], first["boto3"]
        lines.append(
            f"| {kind} | {service['wall_s']:.3f} | {direct['wall_s']:.3f} "
            f"| {service['wall_s'] / direct['wall_s']:.2f}× "
            f"| {service['moto_calls']} / {direct['moto_calls']} |"
        )
    if results.get("replay"):
        lines += [
            "",
            "The service's EC2 calls replayed with boto3, median seconds per call:",
            "",
            "| resource | call | seconds |",
            "|---|---|---|",
        ]
        for kind in RESOURCES:
            r = results["replay"][kind]
            for call in r["calls"]:
                lines.append(f"| {kind} | {call['action']} | {call['seconds_median']:.3f} |")
            lines.append(f"| {kind} | all calls | {r['total_s_median']:.3f} |")
    return "\n".join(lines)


def main():
    args = parse_args()
    state_dir = os.path.abspath(args.state_dir)
    with open(os.path.join(state_dir, "env.json")) as handle:
        env = json.load(handle)
    keystone_port = services.check_loopback_url(env["keystone_url"])[1]
    services.check_loopback_url(env["moto_url"])
    api_port = int(env["api_port"])
    project = env["projects"]["alpha"]
    project_id = project["id"]
    region = project_region(state_dir, project_id)
    client = boto3_list.build_client(env, "alpha", region, threads=1)

    results = {
        "parameters": {k: v for k, v in vars(args).items() if k not in ("state_dir", "output")},
        "revision": args.revision,
        "versions": versions(),
        "machine_before": procinfo.machine(),
        "started_unix": time.time(),
        "region": region,
    }

    token, user_id = member_token_and_user_id(keystone_port, project)
    existing = count_existing(client, project_id)
    _say(
        f"seeding moto with boto3 up to {args.instances} instances, {args.security_groups} "
        f"security groups and {args.volumes} volumes (found {existing})"
    )
    results["seed_s"] = seed(client, project_id, user_id, region, args, existing)
    expected = count_existing(client, project_id)
    results["items"] = expected
    _say(f"the project has {expected}; seeding took {sum(results['seed_s'].values()):.0f} s")

    config_files = api_config_files(state_dir, api_port, args.max_limit)
    limit = configured_max_limit(config_files)
    results["limit"] = limit
    api = start_api(args.binary, state_dir, api_port, config_files)
    lister = ServiceLister(api_port, token, limit)
    meter = Meter(
        {"aws-hybrid-api": api.pid, "moto": recorded_pid(state_dir, "moto")},
        os.path.join(state_dir, "logs", "moto.log"),
    )
    try:
        results["listing"] = {}
        for kind in RESOURCES:
            _say(f"{kind}: {args.repetitions} listings per side with limit {limit}")
            results["listing"][kind] = measure(
                kind, lister, client, project_id, meter, args.repetitions, expected[kind]
            )
        if args.replays > 0:
            _say(f"replaying the service's EC2 calls {args.replays} times per resource")
            results["replay"] = {
                kind: replay(client, kind, project_id, args.replays) for kind in RESOURCES
            }
        results["api_memory_end"] = procinfo.tree_memory_kib(api.pid)
    finally:
        lister.close()
        api.stop()
    results["machine_after"] = procinfo.machine()
    results["duration_s"] = time.time() - results["started_unix"]

    with open(args.output, "w") as handle:
        json.dump(results, handle, indent=2)
        handle.write("\n")
    print(render(results))


if __name__ == "__main__":
    main()
