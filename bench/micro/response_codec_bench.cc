// EncodeResponse, the server's per-answer cost: OK [value, version] for a GET
// of a 100-byte value and OK [version] for a PUT. The Response is built once;
// building it (copying the value out of the index) is the shard's Get cost.
#include <benchmark/benchmark.h>

#include "bench/micro/bench_util.h"
#include "protocol/response.h"

namespace cairn::bench {
namespace {

void BM_EncodeResponse(benchmark::State& state, const protocol::Response& response) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    protocol::EncodeResponse(response, &out);
    benchmark::DoNotOptimize(out.data());
  }
  SetRates(state, 1, out.size());
}
BENCHMARK_CAPTURE(BM_EncodeResponse, get_ok_value, protocol::Response::OkValue(Value(), 42));
BENCHMARK_CAPTURE(BM_EncodeResponse, put_ok_version, protocol::Response::OkVersion(42));

}  // namespace
}  // namespace cairn::bench
