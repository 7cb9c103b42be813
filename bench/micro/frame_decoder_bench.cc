// FrameDecoder over a connection's byte stream: a stream of many PUT frames
// (16-byte key, 100-byte value) fed in fixed-size chunks, as reads from a
// socket arrive, and drained with Next() after each chunk. Measures framing
// and buffer reclaiming only; ParseRequest is request_codec_bench's.
#include <benchmark/benchmark.h>

#include <algorithm>

#include "bench/micro/bench_util.h"
#include "protocol/frame_decoder.h"
#include "protocol/request.h"

namespace cairn::bench {
namespace {

constexpr size_t kFrames = 10000;

std::string PutStream() {
  std::string stream;
  protocol::Request request;
  request.opcode = protocol::Opcode::kPut;
  request.value = Value();
  uint32_t id = 0;
  for (const std::string& key : RandomKeys(kFrames)) {
    request.request_id = ++id;
    request.key = key;
    protocol::EncodeRequest(request, &stream);
  }
  return stream;
}

// Arg: chunk size in bytes.
void BM_FrameDecoderStream(benchmark::State& state) {
  static const std::string stream = PutStream();
  const auto chunk = static_cast<size_t>(state.range(0));
  const protocol::Limits limits;
  for (auto _ : state) {
    protocol::FrameDecoder decoder(protocol::kRequestMagic, limits.max_frame_bytes);
    size_t frames = 0;
    protocol::Frame frame;
    for (size_t pos = 0; pos < stream.size(); pos += chunk) {
      decoder.Feed(std::string_view(stream).substr(pos, std::min(chunk, stream.size() - pos)));
      while (decoder.Next(&frame) == protocol::FrameDecoder::Event::kFrame) {
        benchmark::DoNotOptimize(frame.body.data());
        ++frames;
      }
    }
    if (frames != kFrames) {
      state.SkipWithError("decoder lost frames");
      break;
    }
  }
  SetRates(state, kFrames, stream.size());
}
BENCHMARK(BM_FrameDecoderStream)->Arg(4 << 10)->Arg(64 << 10);

}  // namespace
}  // namespace cairn::bench
