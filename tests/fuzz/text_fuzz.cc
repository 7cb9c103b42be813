// libFuzzer target: arbitrary bytes as text-mode input: line splitting,
// tokenizing, parsing, and formatting an answer for every parsed request.
// Also checks that QuoteText output tokenizes back to the original bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/line_splitter.h"
#include "protocol/response.h"
#include "protocol/text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn::protocol;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto quoted = TokenizeTextLine(QuoteText(input));
  if (!quoted.ok() || quoted.value().size() != 1 || quoted.value()[0] != input) {
    __builtin_trap();
  }
  Limits limits{64, 256, 1024};
  LineSplitter splitter(limits.max_frame_bytes);
  splitter.Feed(input);
  std::string_view line;
  while (splitter.Next(&line) == LineSplitter::Event::kLine) {
    if (IsCrossProtocolLine(line) || IsBlankLine(line)) continue;
    auto request = ParseTextRequest(line, limits);
    if (!request.ok()) continue;
    FormatTextResponse(request.value(), Response::OkValue(std::string(line), 7));
    FormatTextResponse(request.value(), Response::OkVersion(7));
  }
  return 0;
}
