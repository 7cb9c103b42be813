#include "client/cli/interactive.h"

#include <histedit.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "client/cli/ascii.h"
#include "protocol/text.h"

namespace cairn::cli {

namespace {

constexpr int kHistorySize = 1000;

// ~/.cairn_history, or "" when there is no home directory.
std::string HistoryPath() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    const passwd* user = getpwuid(getuid());
    home = user != nullptr ? user->pw_dir : nullptr;
  }
  return home != nullptr ? std::string(home) + "/.cairn_history" : "";
}

std::string_view StripLineEnd(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// libedit's prompt callback: the prompt lives in the editor's client data.
char* Prompt(EditLine* editor) {
  void* prompt = nullptr;
  el_get(editor, EL_CLIENTDATA, &prompt);
  return static_cast<std::string*>(prompt)->data();
}

struct EditorDeleter {
  void operator()(EditLine* editor) const { el_end(editor); }
};
struct HistoryDeleter {
  void operator()(History* history) const { history_end(history); }
};

int RunPlain(Session* session) {
  int exit_code = kExitOk;
  std::string line;
  while (std::getline(std::cin, line)) {
    const Session::Outcome outcome = session->Execute(StripLineEnd(line));
    exit_code = outcome.exit_code;
    if (outcome.quit) break;
  }
  return exit_code;
}

int RunEditor(Session* session, std::string prompt) {
  std::unique_ptr<EditLine, EditorDeleter> editor(el_init("cairn-cli", stdin, stdout, stderr));
  std::unique_ptr<History, HistoryDeleter> history(history_init());
  if (editor == nullptr || history == nullptr) return RunPlain(session);
  HistEvent event;
  ::history(history.get(), &event, H_SETSIZE, kHistorySize);
  ::history(history.get(), &event, H_SETUNIQUE, 1);
  const std::string history_path = HistoryPath();
  if (!history_path.empty()) ::history(history.get(), &event, H_LOAD, history_path.c_str());

  el_set(editor.get(), EL_CLIENTDATA, &prompt);
  el_set(editor.get(), EL_PROMPT, &Prompt);
  el_set(editor.get(), EL_EDITOR, "emacs");
  el_set(editor.get(), EL_HIST, ::history, history.get());
  el_set(editor.get(), EL_SIGNAL, 1);  // restore the terminal if a signal ends us
  el_source(editor.get(), nullptr);

  int exit_code = kExitOk;
  int length = 0;
  while (const char* read = el_gets(editor.get(), &length)) {
    const std::string_view line = StripLineEnd(std::string_view(read, length));
    if (!protocol::IsBlankLine(line) && !IsAuthLine(line)) {
      ::history(history.get(), &event, H_ENTER, std::string(line).c_str());
      // Saved at once, so a crash loses nothing. libedit writes it mode 0600.
      if (!history_path.empty()) ::history(history.get(), &event, H_SAVE, history_path.c_str());
    }
    const Session::Outcome outcome = session->Execute(line);
    exit_code = outcome.exit_code;
    if (outcome.quit) return exit_code;
  }
  // End of input (Ctrl-D): end the prompt's line so the shell's starts clean.
  std::fputs("\n", stdout);
  std::fflush(stdout);
  return exit_code;
}

}  // namespace

bool IsAuthLine(std::string_view line) {
  // Decoded as the request will be, so "\x41UTH" and "auth" are AUTH too.
  protocol::Result<std::vector<std::string>> tokens = protocol::TokenizeTextLine(line);
  if (tokens.ok()) return !tokens.value().empty() && EqualsIgnoreCase(tokens.value()[0], "AUTH");
  // The line does not tokenize, so it will not be sent, but the user may
  // recall it to fix it. Only an unquoted first token is certain: it is its
  // bytes as they are, up to the tokenizer's separators (space and tab).
  const size_t start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos) return false;
  if (line[start] == '"') return true;  // cannot tell; may be AUTH
  const size_t end = line.find_first_of(" \t", start);
  return EqualsIgnoreCase(line.substr(start, end - start), "AUTH");
}

int RunInteractive(Session* session, const std::string& prompt) {
  if (isatty(STDIN_FILENO) != 1) return RunPlain(session);
  return RunEditor(session, prompt);
}

}  // namespace cairn::cli
