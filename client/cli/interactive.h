// cairn-cli's interactive mode. With a terminal on stdin, lines are read
// through libedit (emacs key bindings, ~/.editrc honoured) and kept in a
// history that is saved to ~/.cairn_history after every command, so a crash
// loses nothing; a line whose command is AUTH, however it is spelled or
// quoted (IsAuthLine), is never added, so tokens do not reach the disk. Without a terminal, lines
// are read plainly: no prompt, no editing, no history.
#pragma once

#include <string>
#include <string_view>

#include "client/cli/session.h"

namespace cairn::cli {

// Runs lines until QUIT, EXIT or end of input. Returns the exit code of the
// last command (kExitOk when none ran).
int RunInteractive(Session* session, const std::string& prompt);

// True when the line's first token, decoded by the tokenizer that builds the
// request (protocol::TokenizeTextLine), is AUTH in any case: AUTH, auth,
// "AUTH", "\x41UTH". When the line does not tokenize, true unless its first
// token is unquoted (and so is its bytes as they are) and not AUTH: a quoted
// first token that cannot be decoded might be AUTH.
bool IsAuthLine(std::string_view line);

}  // namespace cairn::cli
