// StreamBuffer: a byte queue for a connection's input, appended at the back
// and consumed from the front. Consume() only moves an offset; the consumed
// prefix is reclaimed inside Append() once it is at least as large as what
// is still unread, so N bytes cost O(N) in total however they arrive and
// however many frames or lines they hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::protocol {

class StreamBuffer {
 public:
  void Append(std::string_view bytes);

  // The bytes appended and not yet consumed. The view stays valid until the
  // next Append() or Clear().
  std::string_view unread() const { return std::string_view(data_).substr(read_); }

  // REQUIRES: n <= unread().size().
  void Consume(size_t n);

  // Drops every byte and releases the storage.
  void Clear();

  // Unread bytes copied to the front of the storage when the consumed prefix
  // was reclaimed, since construction (Clear() moves none and keeps the
  // count). Reclaiming moves no more bytes than it frees, so this never
  // exceeds the bytes appended. It exists for tests and diagnostics: the
  // tests assert that bound to prove the buffer linear without a clock.
  uint64_t bytes_moved() const { return bytes_moved_; }

 private:
  // Drops data_[0, read_), moving the unread bytes to the front. Every move of
  // unread bytes goes through here, so bytes_moved_ counts them all.
  void Reclaim();

  std::string data_;
  size_t read_ = 0;  // data_[0, read_) is consumed
  uint64_t bytes_moved_ = 0;
};

}  // namespace cairn::protocol
