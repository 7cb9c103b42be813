#include "protocol/frame_decoder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::protocol {
namespace {

using namespace std::literals;

constexpr uint32_t kMax = 1024;

struct DecodedFrame {
  FrameHeader header;
  std::string body;

  friend bool operator==(const DecodedFrame&, const DecodedFrame&) = default;
};

std::string MakeFrame(uint8_t magic, uint8_t code, uint32_t id,
                      std::vector<std::string_view> fields) {
  std::string out;
  AppendFrame(&out, magic, code, id, fields);
  return out;
}

// Feeds bytes in chunks of at most `chunk` bytes, draining after each Feed.
std::vector<DecodedFrame> DecodeAll(FrameDecoder* decoder, std::string_view bytes, size_t chunk) {
  std::vector<DecodedFrame> frames;
  for (size_t pos = 0; pos < bytes.size(); pos += chunk) {
    decoder->Feed(bytes.substr(pos, chunk));
    Frame frame;
    while (decoder->Next(&frame) == FrameDecoder::Event::kFrame) {
      frames.push_back({frame.header, std::string(frame.body)});
    }
  }
  return frames;
}

std::string Stream() {
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  return MakeFrame(kRequestMagic, 0x01, 1, {}) +
         MakeFrame(kRequestMagic, 0x03, 2, {"\0key\r\n"sv, all_bytes}) +
         MakeFrame(kRequestMagic, 0x02, 0xFFFFFFFF, {""}) +
         MakeFrame(kRequestMagic, 0x7F, 4, {"x", "y", "z"});
}

TEST(FrameDecoderTest, DecodesOneFrame) {
  FrameDecoder decoder(kRequestMagic, kMax);
  Frame frame;
  EXPECT_EQ(decoder.Next(&frame), FrameDecoder::Event::kNeedMore);
  decoder.Feed(MakeFrame(kRequestMagic, 0x02, 42, {"key"}));
  ASSERT_EQ(decoder.Next(&frame), FrameDecoder::Event::kFrame);
  EXPECT_EQ(frame.header.code, 0x02);
  EXPECT_EQ(frame.header.request_id, 42u);
  EXPECT_EQ(frame.body, "\x00\x00\x00\x03key"sv);
  EXPECT_EQ(decoder.Next(&frame), FrameDecoder::Event::kNeedMore);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(FrameDecoderTest, ManyFramesInOneFeedComeOutInOrder) {
  FrameDecoder decoder(kRequestMagic, kMax);
  std::vector<DecodedFrame> frames = DecodeAll(&decoder, Stream(), Stream().size());
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[0].header.request_id, 1u);
  EXPECT_EQ(frames[1].header.request_id, 2u);
  EXPECT_EQ(frames[2].header.request_id, 0xFFFFFFFFu);
  EXPECT_EQ(frames[3].header.code, 0x7F);  // opcodes are ParseRequest's business
  EXPECT_EQ(frames[1].body.substr(4, 6), "\0key\r\n"sv);
}

TEST(FrameDecoderTest, SplittingAtEveryByteBoundaryDecodesIdentically) {
  const std::string stream = Stream();
  FrameDecoder whole_decoder(kRequestMagic, kMax);
  const std::vector<DecodedFrame> whole = DecodeAll(&whole_decoder, stream, stream.size());
  ASSERT_EQ(whole.size(), 4u);
  for (size_t split = 0; split <= stream.size(); ++split) {
    FrameDecoder decoder(kRequestMagic, kMax);
    std::vector<DecodedFrame> first = DecodeAll(&decoder, stream.substr(0, split), kMax);
    std::vector<DecodedFrame> second = DecodeAll(&decoder, stream.substr(split), kMax);
    first.insert(first.end(), second.begin(), second.end());
    EXPECT_EQ(first, whole) << "split at " << split;
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
  }
  FrameDecoder byte_decoder(kRequestMagic, kMax);
  EXPECT_EQ(DecodeAll(&byte_decoder, stream, 1), whole);
}

TEST(FrameDecoderTest, BodyViewSurvivesLaterNextCalls) {
  FrameDecoder decoder(kRequestMagic, kMax);
  decoder.Feed(MakeFrame(kRequestMagic, 2, 1, {"first"}) + MakeFrame(kRequestMagic, 2, 2, {"x"}));
  Frame first;
  Frame second;
  ASSERT_EQ(decoder.Next(&first), FrameDecoder::Event::kFrame);
  ASSERT_EQ(decoder.Next(&second), FrameDecoder::Event::kFrame);
  EXPECT_EQ(first.body,
            "\x00\x00\x00\x05"
            "first"sv);
}

TEST(FrameDecoderTest, BodyOfExactlyTheLimitIsAccepted) {
  FrameDecoder decoder(kRequestMagic, kMax);
  const std::string body(kMax - kFieldLengthSize, 'v');
  decoder.Feed(MakeFrame(kRequestMagic, 2, 9, {body}));
  Frame frame;
  ASSERT_EQ(decoder.Next(&frame), FrameDecoder::Event::kFrame);
  EXPECT_EQ(frame.header.body_length, kMax);
}

std::string Header(uint8_t magic, uint8_t version, uint32_t id, uint32_t body_length) {
  std::string out;
  AppendHeader(&out, FrameHeader{.magic = magic,
                                 .version = version,
                                 .code = 0x02,
                                 .flags = 0,
                                 .request_id = id,
                                 .body_length = body_length});
  return out;
}

TEST(FrameDecoderTest, BadMagicIsFatalWithTheRequestIdEchoed) {
  FrameDecoder decoder(kRequestMagic, kMax);
  const std::string bad = Header(0x00, kProtocolVersion, 0xDEADBEEF, 3) + "abc";
  decoder.Feed(bad.substr(0, kHeaderSize - 1));
  Frame frame;
  EXPECT_EQ(decoder.Next(&frame), FrameDecoder::Event::kNeedMore);
  decoder.Feed(bad.substr(kHeaderSize - 1));
  ASSERT_EQ(decoder.Next(&frame), FrameDecoder::Event::kFatal);
  EXPECT_EQ(decoder.fatal_error().error.status, StatusCode::kBadRequest);
  EXPECT_EQ(decoder.fatal_error().error.message,
            "bad magic byte 0x00, expected 0xca; closing the connection");
  EXPECT_EQ(decoder.fatal_error().request_id, 0xDEADBEEF);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(FrameDecoderTest, ClientDecoderWantsResponseMagic) {
  FrameDecoder client(kResponseMagic, kMax);
  client.Feed(MakeFrame(kResponseMagic, 0, 5, {}) + MakeFrame(kRequestMagic, 0, 6, {}));
  Frame frame;
  ASSERT_EQ(client.Next(&frame), FrameDecoder::Event::kFrame);
  EXPECT_EQ(frame.header.request_id, 5u);
  ASSERT_EQ(client.Next(&frame), FrameDecoder::Event::kFatal);
  EXPECT_EQ(client.fatal_error().request_id, 6u);
  EXPECT_EQ(client.fatal_error().error.status, StatusCode::kBadRequest);
}

TEST(FrameDecoderTest, UnsupportedVersionIsFatal) {
  for (uint8_t version : {uint8_t{0}, uint8_t{2}, uint8_t{0xFF}}) {
    FrameDecoder decoder(kRequestMagic, kMax);
    decoder.Feed(Header(kRequestMagic, version, 77, 0));
    Frame frame;
    ASSERT_EQ(decoder.Next(&frame), FrameDecoder::Event::kFatal) << int{version};
    EXPECT_EQ(decoder.fatal_error().error.status, StatusCode::kBadRequest);
    EXPECT_EQ(decoder.fatal_error().error.message,
              "unsupported protocol version " + std::to_string(version) +
                  ", this end speaks 1; closing the connection");
    EXPECT_EQ(decoder.fatal_error().request_id, 77u);
  }
}

TEST(FrameDecoderTest, OversizeLengthIsFatalAtTheHeaderAndTheBodyIsNotBuffered) {
  FrameDecoder decoder(kRequestMagic, kMax);
  Frame frame;
  // The verdict needs only the header: no body byte has arrived yet.
  decoder.Feed(Header(kRequestMagic, kProtocolVersion, 0x01020304, kMax + 1));
  ASSERT_EQ(decoder.Next(&frame), FrameDecoder::Event::kFatal);
  EXPECT_EQ(decoder.fatal_error().error.status, StatusCode::kTooLarge);
  EXPECT_EQ(decoder.fatal_error().error.message,
            "body length 1025 exceeds max_frame_bytes 1024; closing the connection");
  EXPECT_EQ(decoder.fatal_error().request_id, 0x01020304u);
  // The body that follows is dropped, not held.
  decoder.Feed(std::string(kMax + 1, 'b'));
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  EXPECT_EQ(decoder.Next(&frame), FrameDecoder::Event::kFatal);
}

TEST(FrameDecoderTest, MaximalLengthIsRejectedWithoutWaiting) {
  FrameDecoder decoder(kRequestMagic, 33554432);
  decoder.Feed(Header(kRequestMagic, kProtocolVersion, 9, 0xFFFFFFFF) + "partial body");
  Frame frame;
  ASSERT_EQ(decoder.Next(&frame), FrameDecoder::Event::kFatal);
  EXPECT_EQ(decoder.fatal_error().error.status, StatusCode::kTooLarge);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(FrameDecoderTest, FramesBeforeAFatalHeaderAreDeliveredFirst) {
  FrameDecoder decoder(kRequestMagic, kMax);
  decoder.Feed(MakeFrame(kRequestMagic, 1, 1, {}) + MakeFrame(kRequestMagic, 1, 2, {}) +
               Header(0x47, kProtocolVersion, 3, 0) + MakeFrame(kRequestMagic, 1, 4, {}));
  Frame frame;
  ASSERT_EQ(decoder.Next(&frame), FrameDecoder::Event::kFrame);
  EXPECT_EQ(frame.header.request_id, 1u);
  ASSERT_EQ(decoder.Next(&frame), FrameDecoder::Event::kFrame);
  EXPECT_EQ(frame.header.request_id, 2u);
  ASSERT_EQ(decoder.Next(&frame), FrameDecoder::Event::kFatal);
  EXPECT_EQ(decoder.fatal_error().request_id, 3u);
  // Nothing after the fatal header is ever decoded.
  decoder.Feed(MakeFrame(kRequestMagic, 1, 5, {}));
  EXPECT_EQ(decoder.Next(&frame), FrameDecoder::Event::kFatal);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

// Linearity is asserted on the work done, never on the clock: the buffer may
// move no more bytes than were fed (each compaction moves at most the bytes it
// frees), checked as the frames come out. A buffer that erased each frame from
// the front, or compacted on every Feed(), moves about half the stream per
// frame and fails within a few frames.
TEST(FrameDecoderTest, DecodingManyFramesFromOneReadMovesEachByteAtMostOnce) {
  constexpr int kFrames = 10000;
  std::string stream;
  stream.reserve(kFrames * kHeaderSize);
  for (int i = 0; i < kFrames; ++i) {
    AppendFrame(&stream, kRequestMagic, 1, static_cast<uint32_t>(i), {});
  }
  FrameDecoder decoder(kRequestMagic, kMax);
  decoder.Feed(stream);
  Frame frame;
  int count = 0;
  while (decoder.Next(&frame) == FrameDecoder::Event::kFrame) {
    ASSERT_EQ(frame.header.request_id, static_cast<uint32_t>(count));
    if (++count % 10 == 0) decoder.Feed("");  // feeds between frames compact the buffer
    ASSERT_LE(decoder.buffer_bytes_moved(), stream.size()) << "after " << count << " frames";
  }
  EXPECT_EQ(count, kFrames);
  EXPECT_GT(decoder.buffer_bytes_moved(), 0u);  // the compaction path did run
}

}  // namespace
}  // namespace cairn::protocol
