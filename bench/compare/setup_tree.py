"""Setup from a fresh checkout: the project's packages (install-deps.sh),
Debian's redis-server and redis-tools when missing, and a Release build
(scripts/build.sh) unless an existing build directory is given. Progress
goes to stderr; stdout is kept for the table."""
import os
import shutil
import subprocess
import sys

from compare import procs

REDIS_PACKAGES = ('redis-server', 'redis-tools')
BUILD_TIMEOUT = 3 * 3600


def _installed(package):
    done = subprocess.run(['dpkg-query', '-W', '-f=${Status}', package], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, timeout=60)
    return b'install ok installed' in done.stdout


def _step(argv, timeout, cwd=None, env=None):
    print('+ ' + ' '.join(argv), file=sys.stderr)
    try:
        done = subprocess.run(argv, stdout=sys.stderr, stderr=sys.stderr, cwd=cwd, env=env,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise procs.Error('%s: no result after %ss (killed)' % (' '.join(argv), timeout))
    if done.returncode != 0:
        raise procs.Error('%s exited with %d' % (' '.join(argv), done.returncode))


def install_packages(repo):
    _step([os.path.join(repo, 'scripts', 'install-deps.sh')], 3600)
    missing = [p for p in REDIS_PACKAGES if not _installed(p)]
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ['sudo']
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    _step(sudo + ['apt-get', 'update', '-q'], 1800, env=env)
    _step(sudo + ['apt-get', 'install', '-y', '-q', '--no-install-recommends'] + missing, 1800,
          env=env)


def build(repo):
    """Builds repo/build-release; returns its path."""
    _step([os.path.join(repo, 'scripts', 'build.sh'), 'build-release',
           '-DCMAKE_BUILD_TYPE=Release', '-DCAIRN_BUILD_TESTS=OFF'], BUILD_TIMEOUT, cwd=repo)
    return os.path.join(repo, 'build-release')


def build_type(build_dir):
    try:
        with open(os.path.join(build_dir, 'CMakeCache.txt')) as f:
            for line in f:
                if line.startswith('CMAKE_BUILD_TYPE:'):
                    return line.split('=', 1)[1].strip()
    except OSError:
        pass
    return None


def binaries(build_dir, cairn_bench=None):
    """name -> path of every program the comparison runs; raises if one is
    missing."""
    bins = {
        'cairnd': os.path.join(build_dir, 'server', 'cairnd'),
        'cairn-cli': os.path.join(build_dir, 'client', 'cli', 'cairn-cli'),
        'cairn-bench': cairn_bench or os.path.join(build_dir, 'bench', 'cairn_bench',
                                                   'cairn-bench'),
    }
    for name in ('redis-server', 'redis-benchmark', 'redis-cli'):
        bins[name] = shutil.which(name) or name
    missing = [p for p in bins.values() if not (os.path.isfile(p) and os.access(p, os.X_OK))]
    if missing:
        raise procs.Error('missing programs: %s (build %s, or install redis-server and '
                          'redis-tools)' % (', '.join(missing), build_dir))
    return bins
