// Binary request codec: EncodeRequest (what a client does per request) and
// ParseRequest of a frame body (what the server does per frame), for a PUT
// of a 16-byte key and a 100-byte value and for a GET of that key.
#include <benchmark/benchmark.h>

#include "bench/micro/bench_util.h"
#include "protocol/request.h"

namespace cairn::bench {
namespace {

using protocol::Opcode;
using protocol::Request;

Request MakeRequest(Opcode opcode) {
  Request request;
  request.opcode = opcode;
  request.request_id = 7;
  request.key = RandomKeys(1)[0];
  if (opcode == Opcode::kPut) request.value = Value();
  return request;
}

void BM_EncodeRequest(benchmark::State& state, Opcode opcode) {
  const Request request = MakeRequest(opcode);
  std::string out;
  for (auto _ : state) {
    out.clear();  // keeps the capacity, as a connection's output buffer does
    protocol::EncodeRequest(request, &out);
    benchmark::DoNotOptimize(out.data());
  }
  SetRates(state, 1, out.size());
}
BENCHMARK_CAPTURE(BM_EncodeRequest, put, Opcode::kPut);
BENCHMARK_CAPTURE(BM_EncodeRequest, get, Opcode::kGet);

void BM_ParseRequest(benchmark::State& state, Opcode opcode) {
  std::string frame;
  protocol::EncodeRequest(MakeRequest(opcode), &frame);
  const protocol::FrameHeader header = protocol::DecodeHeader(frame);
  const std::string_view body = std::string_view(frame).substr(protocol::kHeaderSize);
  const protocol::Limits limits;
  for (auto _ : state) {
    protocol::Result<Request> request = protocol::ParseRequest(header, body, limits);
    if (!request.ok()) {
      state.SkipWithError("ParseRequest failed");
      break;
    }
    benchmark::DoNotOptimize(request.value().key.data());
  }
  SetRates(state, 1, frame.size());
}
BENCHMARK_CAPTURE(BM_ParseRequest, put, Opcode::kPut);
BENCHMARK_CAPTURE(BM_ParseRequest, get, Opcode::kGet);

}  // namespace
}  // namespace cairn::bench
