"""List a project's EC2 instances directly against moto with boto3, from many threads.

This is the peer of the aws-hybrid `GET /v1/instances` load test: the same
DescribeInstances call aws-hybrid makes (filter tag:aws-hybrid:project-id,
MaxResults 1000, following NextToken), with the project's moto credentials,
at the same concurrency and for the same time. Run it with the harness venv:

    python tools/bench/boto3_list.py --state-dir DIR --project alpha \
        --region us-east-1 --threads 64 --warmup 3 --duration 20

It prints the lines "window-start" and "window-end" on stdout when the measured
window opens and closes. It then prints one JSON object with the calls completed
inside the window, requests per second and latency percentiles in ms. The object
also contains the errors, the instance count of each response and the CPU time
this process used in the window.

Only loopback is contacted: the endpoint is the moto_url from env.json, which
must be a 127.0.0.1 URL, and credentials are the moto-issued keys, passed
explicitly so botocore never reads the environment or the metadata service.
"""

import argparse
import json
import os
import resource
import sys
import threading
import time
import urllib.parse

# botocore reads these when the client is built, so they are set before the import.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
for _name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ.pop(_name, None)

import boto3  # noqa: E402
import botocore.config  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stats import latency_summary_ms  # noqa: E402

PROJECT_TAG = "aws-hybrid:project-id"


def build_client(env, project, region, threads):
    moto_url = env["moto_url"]
    if urllib.parse.urlsplit(moto_url).hostname != "127.0.0.1":
        raise SystemExit(
            f"boto3_list: moto_url {moto_url!r} is not a 127.0.0.1 URL, and this script sends requests to 127.0.0.1 only"
        )
    config = botocore.config.Config(
        max_pool_connections=threads,
        # One attempt, so that an error is counted instead of hidden by a retry.
        retries={"total_max_attempts": 1},
        connect_timeout=10,
        read_timeout=120,
    )
    return boto3.session.Session().client(
        "ec2",
        region_name=region,
        endpoint_url=moto_url,
        aws_access_key_id=env["projects"][project]["aws_access_key_id"],
        aws_secret_access_key=env["projects"][project]["aws_secret_access_key"],
        config=config,
    )


def describe_project_instances(client, project_id):
    """Return the number of instances tagged with project_id, following NextToken."""
    count = 0
    request = {
        "Filters": [{"Name": f"tag:{PROJECT_TAG}", "Values": [project_id]}],
        "MaxResults": 1000,
    }
    while True:
        page = client.describe_instances(**request)
        for reservation in page["Reservations"]:
            count += len(reservation["Instances"])
        token = page.get("NextToken")
        if not token:
            return count
        request["NextToken"] = token


def worker(client, project_id, window_start, window_end, result):
    """Call DescribeInstances until window_end and record the calls that complete inside the window.

    wrk counts requests by completion time as well.
    """
    while True:
        started = time.monotonic()
        if started >= window_end:
            return
        try:
            count = describe_project_instances(client, project_id)
        except Exception as error:  # noqa: BLE001 - every failure kind is counted and reported
            result["errors"].append(type(error).__name__)
            continue
        finished = time.monotonic()
        if window_start <= finished < window_end:
            result["latencies"].append(finished - started)
            result["counts"].add(count)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", required=True, help="harness state directory with env.json")
    parser.add_argument(
        "--project", default="alpha", help="project key in env.json (default alpha)"
    )
    parser.add_argument("--region", required=True, help="AWS region of the project, e.g. us-east-1")
    parser.add_argument("--threads", type=int, default=64, help="concurrent callers (default 64)")
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="seconds of load before the window (default 3)"
    )
    parser.add_argument(
        "--duration", type=float, default=20.0, help="seconds in the measured window (default 20)"
    )
    args = parser.parse_args()

    with open(os.path.join(args.state_dir, "env.json")) as handle:
        env = json.load(handle)
    project_id = env["projects"][args.project]["id"]
    client = build_client(env, args.project, args.region, args.threads)
    # One call before the clock starts loads botocore's EC2 model, which takes about a second.
    expected = describe_project_instances(client, project_id)

    results = [{"latencies": [], "errors": [], "counts": set()} for _ in range(args.threads)]
    window_start = time.monotonic() + args.warmup
    window_end = window_start + args.duration
    threads = [
        threading.Thread(target=worker, args=(client, project_id, window_start, window_end, result))
        for result in results
    ]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, window_start - time.monotonic()))
    # bench.py reads the CPU times of the servers and the size of moto's log when
    # these two lines arrive.
    print("window-start", flush=True)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    time.sleep(max(0.0, window_end - time.monotonic()))
    print("window-end", flush=True)
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    # Calls still in flight finish here but are not counted.
    for thread in threads:
        thread.join()

    latencies = [value for result in results for value in result["latencies"]]
    errors = [value for result in results for value in result["errors"]]
    counts = sorted(set().union(*(result["counts"] for result in results)))
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    json.dump(
        {
            "threads": args.threads,
            "warmup_s": args.warmup,
            "duration_s": args.duration,
            "requests": len(latencies),
            "requests_per_s": len(latencies) / args.duration,
            "errors": len(errors),
            "error_kinds": sorted(set(errors)),
            "instances_per_response": counts,
            "instances_before_load": expected,
            "latency_ms": latency_summary_ms(latencies),
            # CPU time of this process inside the window.
            "client_cpu_s": cpu,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
