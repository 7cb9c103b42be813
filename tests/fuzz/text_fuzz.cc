// libFuzzer target: arbitrary bytes as text-mode input: line splitting,
// tokenizing, parsing, and formatting an answer for every parsed request,
// under the limits fuzz_limits.h picks. Parsing a line may not allocate more
// than alloc_meter.h allows for its length. Also checks that QuoteText output
// tokenizes back to the original bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/line_splitter.h"
#include "protocol/response.h"
#include "protocol/text.h"
#include "tests/fuzz/alloc_meter.h"
#include "tests/fuzz/fuzz_limits.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn::protocol;
  using cairn::fuzz::AllocMeter;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto quoted = TokenizeTextLine(QuoteText(input));
  if (!quoted.ok() || quoted.value().size() != 1 || quoted.value()[0] != input) {
    __builtin_trap();
  }
  const Limits limits = cairn::fuzz::FuzzLimits();
  LineSplitter splitter(limits.max_frame_bytes);
  splitter.Feed(input);
  std::string_view line;
  while (splitter.Next(&line) == LineSplitter::Event::kLine) {
    if (IsCrossProtocolLine(line) || IsBlankLine(line)) continue;
    AllocMeter::ResetPeak();
    const size_t base = AllocMeter::live();
    auto request = ParseTextRequest(line, limits);
    cairn::fuzz::CheckPeakSince(base, line.size());
    if (!request.ok()) continue;
    FormatTextResponse(request.value(), Response::OkValue(std::string(line), 7));
    FormatTextResponse(request.value(), Response::OkVersion(7));
  }
  return 0;
}
