#include "server/file_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace cairn::server {

namespace {

// fs.nr_open: the most a process may set RLIMIT_NOFILE to.
rlim_t KernelFileCeiling() {
  std::ifstream in("/proc/sys/fs/nr_open");
  rlim_t ceiling = 0;
  if (in >> ceiling && ceiling > 0) return ceiling;
  return 1 << 20;  // the kernel's default for nr_open
}

}  // namespace

uint64_t RaiseOpenFileLimit(std::string* warning) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    *warning = std::string("cannot read the open-file limit: ") + std::strerror(errno);
    return 0;
  }
  const rlim_t target = limit.rlim_max == RLIM_INFINITY ? KernelFileCeiling() : limit.rlim_max;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < target) {
    rlimit raised = limit;
    raised.rlim_cur = target;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      limit = raised;
    } else {
      *warning = "cannot raise the open-file limit from " + std::to_string(limit.rlim_cur) +
                 " to " + std::to_string(target) + ": " + std::strerror(errno);
    }
  }
  return limit.rlim_cur;
}

}  // namespace cairn::server
