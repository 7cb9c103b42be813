#include "protocol/frame_decoder.h"

#include <string>

namespace cairn::protocol {

FrameDecoder::FrameDecoder(uint8_t magic, uint32_t max_frame_bytes)
    : magic_(magic), max_frame_bytes_(max_frame_bytes) {}

void FrameDecoder::Feed(std::string_view bytes) {
  if (!fatal_) buffer_.Append(bytes);
}

FrameDecoder::Event FrameDecoder::Next(Frame* frame) {
  if (fatal_) return Event::kFatal;
  std::string_view unread = buffer_.unread();
  if (unread.size() < kHeaderSize) return Event::kNeedMore;
  FrameHeader header = DecodeHeader(unread);
  fatal_ = CheckHeader(header);
  if (fatal_) {
    buffer_.Clear();
    return Event::kFatal;
  }
  size_t frame_size = kHeaderSize + header.body_length;
  if (unread.size() < frame_size) return Event::kNeedMore;
  frame->header = header;
  frame->body = unread.substr(kHeaderSize, header.body_length);
  buffer_.Consume(frame_size);
  return Event::kFrame;
}

std::optional<FatalFrameError> FrameDecoder::CheckHeader(const FrameHeader& header) const {
  if (header.magic != magic_) {
    return FatalFrameError{
        {StatusCode::kBadRequest, "bad magic byte " + HexByte(header.magic) + ", expected " +
                                      HexByte(magic_) + "; closing the connection"},
        header.request_id};
  }
  if (header.version != kProtocolVersion) {
    return FatalFrameError{
        {StatusCode::kBadRequest, "unsupported protocol version " + std::to_string(header.version) +
                                      ", this end speaks " + std::to_string(kProtocolVersion) +
                                      "; closing the connection"},
        header.request_id};
  }
  if (header.body_length > max_frame_bytes_) {
    return FatalFrameError{
        {StatusCode::kTooLarge, "body length " + std::to_string(header.body_length) + " exceeds " +
                                    std::string(limit_name_) + " " +
                                    std::to_string(max_frame_bytes_) + "; closing the connection"},
        header.request_id};
  }
  return std::nullopt;
}

}  // namespace cairn::protocol
