// TerminalSafe: what cairn-cli prints of a server's bytes where a terminal
// may show them. A terminal obeys some bytes instead of showing them: ESC
// starts sequences that clear the screen, move the cursor, retitle the
// window or write to the clipboard; BEL, BS and CR hide or overwrite what
// was printed; the C1 controls (0x80-0x9f, e.g. 0x9b CSI) act like ESC
// sequences on terminals that take them. A malicious server, or a stored
// value echoed in an answer, could use them to forge or hide output. So
// error messages, STATS and every other answer line printed for people go
// through here; only --raw and --hex payloads do not (docs/client.md).
#pragma once

#include <string>
#include <string_view>

namespace cairn::cli {

// text with every byte a terminal could obey escaped as the text protocol
// escapes it (protocol::QuoteText: \xHH, \r):
// C0 controls except '\n' and '\t', DEL, the C1 controls whether raw or
// encoded in UTF-8 (U+0080-U+009F), and every byte that is not part of
// well-formed UTF-8. Well-formed UTF-8 is kept, so text in any language
// still reads. '\' is not escaped: this is for reading, not parsing back.
std::string TerminalSafe(std::string_view text);

}  // namespace cairn::cli
