"""Running cairnd under strace and reading the trace back, for the robustness
drivers in this folder (fsync discipline, sync failure)."""
import os
import re
import subprocess

LINE = re.compile(r'^(\d+)\s+(\d+):(\d+):(\d+\.\d+) (.*)$')
DURATION = re.compile(r'<(\d+\.\d+)>$')


def seconds(h, m, s):
    return int(h) * 3600 + int(m) * 60 + float(s)


def can_trace():
    """False when ptrace is not permitted here (strace cannot run a child)."""
    return subprocess.run(['strace', '-o', '/dev/null', 'true'], capture_output=True).returncode == 0


def can_inject():
    """False when this strace has no -e inject= (fault injection, strace >= 4.16)."""
    return subprocess.run(['strace', '-o', '/dev/null', '-e', 'inject=getpid:error=EIO:when=1',
                           'true'], capture_output=True).returncode == 0


def traced_pid(strace_proc):
    """The pid of the program strace_proc (a Popen of strace) runs: signals
    meant for cairnd must go to it, not to strace."""
    path = '/proc/%d/task/%d/children' % (strace_proc.pid, strace_proc.pid)
    return int(open(path).read().split()[0])


def parse(trace_path, with_pid=False):
    """Returns (name, args_text, start, end) per completed system call of a
    trace written with strace -f -tt -T, sorted by start; with_pid puts the
    thread id first. args_text runs from the call's name to its result (e.g.
    '... = -1 EIO (Input/output error) (INJECTED) <0.000012>')."""
    pending = {}
    calls = []
    with open(trace_path, errors='replace') as f:
        for raw in f:
            m = LINE.match(raw.rstrip('\n'))
            if not m:
                continue
            pid, t, rest = m.group(1), seconds(*m.group(2, 3, 4)), m.group(5)
            if rest.endswith('<unfinished ...>'):
                name = rest.split('(', 1)[0]
                pending[(pid, name)] = (t, rest[:-len('<unfinished ...>')])
                continue
            resumed = re.match(r'<\.\.\. (\w+) resumed>(.*)$', rest)
            d = DURATION.search(rest)
            dur = float(d.group(1)) if d else 0.0
            if resumed:
                name = resumed.group(1)
                start, head = pending.pop((pid, name), (t - dur, ''))
                calls.append((int(pid), name, head + resumed.group(2), start, start + dur))
            elif '(' in rest:
                name = rest.split('(', 1)[0]
                calls.append((int(pid), name, rest, t, t + dur))
    calls.sort(key=lambda c: c[3])
    return calls if with_pid else [c[1:] for c in calls]
