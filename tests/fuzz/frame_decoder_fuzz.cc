// libFuzzer target: arbitrary bytes, fed in arbitrary chunks, through the
// server's frame decoder and request parser, under the limits fuzz_limits.h
// picks. Nothing may crash, hang or read out of bounds, a fatal error must
// stop the stream, and parsing a frame may not allocate more than
// alloc_meter.h allows for its size.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/frame_decoder.h"
#include "protocol/request.h"
#include "tests/fuzz/alloc_meter.h"
#include "tests/fuzz/fuzz_limits.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cairn::fuzz::AllocMeter;
  using cairn::protocol::FrameDecoder;
  if (size == 0) return 0;
  // The first byte picks the chunk size, so splits are explored too.
  const size_t chunk = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const cairn::protocol::Limits limits = cairn::fuzz::FuzzLimits();
  FrameDecoder decoder(cairn::protocol::kRequestMagic, limits.max_frame_bytes);
  while (!input.empty()) {
    decoder.Feed(input.substr(0, chunk));
    input.remove_prefix(std::min(chunk, input.size()));
    cairn::protocol::Frame frame;
    FrameDecoder::Event event;
    while ((event = decoder.Next(&frame)) == FrameDecoder::Event::kFrame) {
      if (!cairn::fuzz::ServerParses(static_cast<cairn::protocol::Opcode>(frame.header.code))) {
        continue;
      }
      AllocMeter::ResetPeak();
      const size_t base = AllocMeter::live();
      auto request = cairn::protocol::ParseRequest(frame.header, frame.body, limits);
      cairn::fuzz::CheckPeakSince(base, frame.body.size());
      if (request.ok()) {
        std::string wire;
        cairn::protocol::EncodeRequest(request.value(), &wire);
      }
    }
    if (event == FrameDecoder::Event::kFatal) {
      if (decoder.Next(&frame) != FrameDecoder::Event::kFatal) __builtin_trap();
      return 0;
    }
  }
  return 0;
}
