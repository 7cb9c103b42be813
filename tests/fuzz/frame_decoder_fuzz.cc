// libFuzzer target: arbitrary bytes, fed in arbitrary chunks, through the
// server's frame decoder and request parser. Nothing may crash, hang or read
// out of bounds, and a fatal error must stop the stream.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/frame_decoder.h"
#include "protocol/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cairn::protocol::FrameDecoder;
  if (size == 0) return 0;
  // The first byte picks the chunk size, so splits are explored too.
  const size_t chunk = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  cairn::protocol::Limits limits{64, 256, 1024};
  FrameDecoder decoder(cairn::protocol::kRequestMagic, limits.max_frame_bytes);
  while (!input.empty()) {
    decoder.Feed(input.substr(0, chunk));
    input.remove_prefix(std::min(chunk, input.size()));
    cairn::protocol::Frame frame;
    FrameDecoder::Event event;
    while ((event = decoder.Next(&frame)) == FrameDecoder::Event::kFrame) {
      auto request = cairn::protocol::ParseRequest(frame.header, frame.body, limits);
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
