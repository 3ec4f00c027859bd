"""Read process and machine figures from /proc (Linux only).

Memory figures are in KiB as /proc reports them. CPU times are in seconds.
"""

import os

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    """Return the fields of /proc/PID/stat after the command name, as a list.

    The command name (field 2) may contain spaces, so splitting starts after
    its closing parenthesis. List index 0 is therefore field 3, the state.
    """
    with open(f"/proc/{pid}/stat") as handle:
        text = handle.read()
    return text[text.rindex(")") + 2 :].split()


def start_time(pid):
    """Return field 22 of /proc/PID/stat, the start time in clock ticks since boot."""
    return _stat_fields(pid)[19]


def cpu_seconds(pid):
    """Return the user plus system CPU time of one process (all its threads)."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid):
    """Return the PIDs of the direct children of pid, from every thread's children list."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
        except FileNotFoundError:
            continue
    return found


def process_tree(pid):
    """Return pid and all its descendants that still exist."""
    tree = [pid]
    index = 0
    while index < len(tree):
        tree.extend(children(tree[index]))
        index += 1
    return tree


def tree_cpu_seconds(pid):
    """Return the CPU time of pid and its living descendants."""
    total = 0.0
    for member in process_tree(pid):
        try:
            total += cpu_seconds(member)
        except FileNotFoundError:
            continue
    return total


def status_kib(pid, field):
    """Return a memory field of /proc/PID/status (VmRSS, VmHWM, ...) in KiB."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(f"/proc/{pid}/status has no {field} line")


def pss_kib(pid):
    """Return the proportional set size (PSS) of one process in KiB."""
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    raise KeyError(f"/proc/{pid}/smaps_rollup has no Pss line")


def tree_memory_kib(pid):
    """Return VmRSS, VmHWM and Pss summed over pid and its descendants.

    Summed VmRSS and VmHWM count pages shared between the processes (such as
    the copy-on-write pages of a forked uWSGI worker) once per process. The Pss
    sum counts each page once.
    """
    members = process_tree(pid)
    return {
        "processes": len(members),
        "vm_rss_kib": sum(status_kib(member, "VmRSS") for member in members),
        "vm_hwm_kib": sum(status_kib(member, "VmHWM") for member in members),
        "pss_kib": sum(pss_kib(member) for member in members),
    }


def system_cpu_ticks():
    """Return (busy, total) clock ticks over all CPUs since boot, from /proc/stat.

    Busy is every state but idle and iowait.
    """
    with open("/proc/stat") as handle:
        values = [int(value) for value in handle.readline().split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


def loadavg():
    """Return the 1, 5 and 15 minute load averages."""
    with open("/proc/loadavg") as handle:
        return [float(value) for value in handle.read().split()[:3]]


def machine():
    """Return the CPU count, CPU model, memory size and kernel of this machine."""
    model = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "mem_total_kib": status_like_kib("/proc/meminfo", "MemTotal"),
        "mem_available_kib": status_like_kib("/proc/meminfo", "MemAvailable"),
        "kernel": os.uname().release,
        "loadavg": loadavg(),
    }


def status_like_kib(path, field):
    """Return a "Name: N kB" value from a /proc file such as /proc/meminfo."""
    with open(path) as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(f"{path} has no {field} line")


def record_process(pid_dir, name, pid, port):
    """Record a process in the harness format (NAME.pid, .start, .port) so down.sh stops it too."""
    os.makedirs(pid_dir, exist_ok=True)
    for suffix, value in (("start", start_time(pid)), ("port", port), ("pid", pid)):
        path = os.path.join(pid_dir, f"{name}.{suffix}")
        with open(path + ".tmp", "w") as handle:
            handle.write(f"{value}\n")
        os.replace(path + ".tmp", path)


def forget_process(pid_dir, name):
    """Remove the harness records of a process that has stopped."""
    for suffix in ("pid", "start", "port"):
        try:
            os.remove(os.path.join(pid_dir, f"{name}.{suffix}"))
        except FileNotFoundError:
            pass
