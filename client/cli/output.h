// How cairn-cli prints answers and failures.
// - Quoted: the text protocol's answer lines (protocol::FormatTextResponse),
//   status first, keys and values quoted and escaped, so cairn-cli reads
//   like nc.
// - Raw and hex: stdout gets only the payload, one item per line: a value
//   (GET, INCR, PING's message) as raw bytes or lowercase hex, a version in
//   decimal (PUT DEL CAS SNAPSHOT), the STATS JSON, a SCAN key then its
//   value. An answer that is not OK goes to stderr as its text-protocol line.
// Everything but the raw and hex payloads is TerminalSafe (terminal_text.h):
// the server's messages, STATS, and the quoted answer lines cannot drive a
// terminal. Raw payloads are the bytes as stored, for pipes and for --raw.
#pragma once

#include <string>
#include <string_view>

#include "client/cli/cli_options.h"
#include "client/status.h"
#include "protocol/request.h"
#include "protocol/response.h"

namespace cairn::cli {

struct Printed {
  std::string out;  // for stdout
  std::string err;  // for stderr
};

Printed FormatAnswer(Format format, const protocol::Request& request,
                     const protocol::Response& response);

// One entry of SCAN --prefix: quoted, the line text mode prints for it
// ("<key>" "<value>"); raw and hex, a key line and a value line.
std::string FormatEntry(Format format, std::string_view key, std::string_view value);

// kExitOk for OK, kExitNegative for NOT_FOUND and VERSION_MISMATCH,
// kExitError for the rest.
int ExitCodeOf(const protocol::Response& response);

// A call that got no answer, as one line for stderr: "cairn-cli: " and what
// happened, with a hint where one helps (e.g. a refused AUTH token).
std::string DescribeFailure(const Status& status);

}  // namespace cairn::cli
