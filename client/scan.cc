#include "client/scan.h"

#include <utility>

#include "client/client.h"
#include "client/reply.h"
#include "client/requests.h"

namespace cairn {

ScanRange ScanRange::Prefix(std::string_view prefix) {
  ScanRange range{.start = std::string(prefix), .end = std::string(prefix)};
  while (!range.end.empty() && static_cast<unsigned char>(range.end.back()) == 0xFF) {
    range.end.pop_back();
  }
  if (!range.end.empty()) range.end.back() = static_cast<char>(range.end.back() + 1);
  return range;
}

ScanIterator::ScanIterator(Client* client, ScanRange range, uint32_t page_size)
    : client_(client),
      next_start_(std::move(range.start)),
      end_(std::move(range.end)),
      page_size_(page_size) {
  Fetch();
}

void ScanIterator::Next() {
  ++index_;
  if (index_ < page_.entries.size() || !page_.more) return;
  next_start_ = std::string(page_.entries.back().first) + '\0';
  Fetch();
}

void ScanIterator::Fetch() {
  page_ = {};
  index_ = 0;
  Result<protocol::Response> answer = client_->Call(ScanRequest(next_start_, end_, page_size_));
  if (!answer.ok()) {
    status_ = answer.status();
    return;
  }
  answer_ = std::move(answer).value();
  Result<protocol::ScanPage> page = ReadScanReply(answer_);
  if (!page.ok()) {
    status_ = page.status();
    return;
  }
  if (page.value().entries.empty() && page.value().more) {
    // Following it would ask for the same page forever.
    status_ = Status(Code::kProtocolError, "SCAN answered more=1 with no entries");
    return;
  }
  page_ = std::move(page).value();
}

}  // namespace cairn
