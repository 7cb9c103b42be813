// ScanRange and ScanIterator: Client::Scan walks the keys of a range in
// unsigned bytewise order with their values, fetching pages of SCAN as it
// goes (docs/protocol.md: each next page starts at the last key + 0x00). As on
// the server, a scan is not a point-in-time snapshot, but it never yields a
// key twice or a value that was never written.
//
// Usage:
//   for (cairn::ScanIterator it = client.Scan(cairn::ScanRange::Prefix("user:"));
//        it.Valid(); it.Next()) {
//     Use(it.key(), it.value());
//   }
//   if (!it.status().ok()) ...  // (declare `it` before the loop to check it)
//
// Each page is one ordinary call on the Client, so other calls may be made
// on the same Client between steps. A page that fails ends the iteration
// with !Valid() and the failure in status(); scanning again from the last
// key + 0x00 resumes where it stopped (reads are safe to retry).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "client/status.h"
#include "protocol/response.h"

namespace cairn {

class Client;

struct ScanRange {
  std::string start;  // inclusive
  std::string end;    // exclusive; empty means no upper bound

  // Every key.
  static ScanRange All() { return {}; }
  // Every key that starts with prefix: [prefix, the first key past all of
  // them). That bound is prefix with its trailing 0xFF bytes dropped and the
  // last remaining byte incremented; there is none (no upper bound) when
  // prefix is empty or all 0xFF.
  static ScanRange Prefix(std::string_view prefix);
};

class ScanIterator {
 public:
  // Moving keeps key() and value() valid: they view strings held in
  // answer_'s heap-allocated field vector, which a move hands over as is.
  ScanIterator(ScanIterator&&) = default;
  ScanIterator& operator=(ScanIterator&&) = default;

  // True while positioned at an entry.
  bool Valid() const { return index_ < page_.entries.size(); }
  // REQUIRES: Valid(). The views stay valid until the next Next().
  std::string_view key() const { return page_.entries[index_].first; }
  std::string_view value() const { return page_.entries[index_].second; }
  // REQUIRES: Valid(). Moves to the next entry, fetching the next page when
  // this one is used up.
  void Next();

  // OK unless fetching a page failed.
  const Status& status() const { return status_; }

 private:
  friend class Client;
  // Fetches the first page. REQUIRES: *client outlives the iterator.
  ScanIterator(Client* client, ScanRange range, uint32_t page_size);

  // Replaces the page with the one starting at next_start_.
  void Fetch();

  Client* client_;
  std::string next_start_;
  std::string end_;
  uint32_t page_size_;
  protocol::Response answer_;  // owns the bytes page_ views
  protocol::ScanPage page_;
  size_t index_ = 0;
  Status status_;
};

}  // namespace cairn
