#include "protocol/stream_buffer.h"

#include <cassert>

namespace cairn::protocol {

void StreamBuffer::Append(std::string_view bytes) {
  // Moving the unread bytes costs no more than the consumed bytes dropped,
  // which keeps the total work linear.
  if (read_ > 0 && read_ >= data_.size() - read_) Reclaim();
  data_.append(bytes);
}

void StreamBuffer::Reclaim() {
  bytes_moved_ += data_.size() - read_;
  data_.erase(0, read_);
  read_ = 0;
}

void StreamBuffer::Consume(size_t n) {
  assert(n <= data_.size() - read_);
  read_ += n;
}

void StreamBuffer::Clear() {
  std::string().swap(data_);
  read_ = 0;
}

}  // namespace cairn::protocol
