#include "client/cli/terminal_text.h"

#include <cstddef>

#include "protocol/text.h"

namespace cairn::cli {

namespace {

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// The length of the well-formed UTF-8 sequence of two or more bytes at the
// start of text (RFC 3629: no overlong forms, no surrogates, nothing past
// U+10FFFF), or 0 when there is none.
size_t MultibyteLength(std::string_view text) {
  const auto at = [&text](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = at(0);
  size_t length = 0;
  unsigned char second_min = 0x80, second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;  // overlong
    if (lead == 0xED) second_max = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;  // overlong
    if (lead == 0xF4) second_max = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < length || at(1) < second_min || at(1) > second_max) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (!IsContinuation(at(i))) return 0;
  }
  return length;
}

// The byte as the text protocol escapes it: protocol::QuoteText without the
// quotes (\xHH, or \r).
void AppendEscaped(char byte, std::string* out) {
  const std::string quoted = protocol::QuoteText(std::string_view(&byte, 1));
  out->append(quoted, 1, quoted.size() - 2);
}

}  // namespace

std::string TerminalSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if ((byte >= 0x20 && byte != 0x7F) || byte == '\n' || byte == '\t') {
        out.push_back(static_cast<char>(byte));
      } else {
        AppendEscaped(text[i], &out);
      }
      ++i;
      continue;
    }
    const size_t length = MultibyteLength(text.substr(i));
    // U+0080-U+009F, the C1 controls, are 0xC2 0x80-0x9F in UTF-8.
    const bool c1 = length == 2 && byte == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0;
    if (length == 0 || c1) {
      AppendEscaped(text[i], &out);
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

}  // namespace cairn::cli
