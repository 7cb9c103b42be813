// Text mode: TokenizeTextLine on a typical netcat line, a PUT with a short
// key and a 100-byte value, bare and double-quoted with escapes, and the
// whole ParseTextRequest of the bare line.
#include <benchmark/benchmark.h>

#include "bench/micro/bench_util.h"
#include "protocol/text.h"

namespace cairn::bench {
namespace {

const std::string& BareLine() {
  static const std::string line = "PUT user:0000004711 " + Value();
  return line;
}

const std::string& QuotedLine() {
  static const std::string line =
      "PUT \"user 4711\" " + protocol::QuoteText(Value(48) + "\n\t\"quoted\"\x01" + Value(40));
  return line;
}

void BM_TokenizeTextLine(benchmark::State& state, const std::string& (*line)()) {
  const std::string& text = line();
  for (auto _ : state) {
    auto tokens = protocol::TokenizeTextLine(text);
    if (!tokens.ok()) {
      state.SkipWithError("TokenizeTextLine failed");
      break;
    }
    benchmark::DoNotOptimize(tokens.value().data());
  }
  SetRates(state, 1, text.size());
}
BENCHMARK_CAPTURE(BM_TokenizeTextLine, put_bare, BareLine);
BENCHMARK_CAPTURE(BM_TokenizeTextLine, put_quoted, QuotedLine);

void BM_ParseTextRequest(benchmark::State& state) {
  const std::string& text = BareLine();
  const protocol::Limits limits;
  for (auto _ : state) {
    auto request = protocol::ParseTextRequest(text, limits);
    if (!request.ok()) {
      state.SkipWithError("ParseTextRequest failed");
      break;
    }
    benchmark::DoNotOptimize(request.value().value.data());
  }
  SetRates(state, 1, text.size());
}
BENCHMARK(BM_ParseTextRequest);

}  // namespace
}  // namespace cairn::bench
