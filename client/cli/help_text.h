// The command list that `help` prints in cairn-cli.
#pragma once

namespace cairn::cli {

inline constexpr char kHelpText[] =
    R"(Commands (the text protocol's syntax; case does not matter). A token may be
double-quoted, and then understands \\ \" \n \r \t \0 and \xHH.
  PING [message]
  GET key
  PUT key value                    (alias SET)
  DEL key [expected_version]       (alias DELETE)
  CAS key expected_version value   (expected_version 0: only if absent)
  INCR key [delta]                 (delta defaults to 1)
  SCAN start end [limit]           one page of [start, end); "" is the empty key
  SCAN --prefix prefix             every key with the prefix, all pages
  STATS
  SNAPSHOT
  AUTH token                       (never saved in the history)
  HELP
  QUIT | EXIT
)";

}  // namespace cairn::cli
