// Status: the result of a storage operation. OK, or a code and a message that
// names what failed (file, offset, errno text). Storage never throws across
// its API; callers branch on the code.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace cairn::storage {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,    // a file or key that does not exist
    kCorruption,  // on-disk data failed a check
    kIoError,     // the OS refused a read, write or sync
    kNoSpace,     // ENOSPC or EDQUOT: a later attempt may succeed
    kReadOnly,    // storage refuses writes until restart (after a failed sync)
    kInvalidArgument,
    kBusy,  // the data directory is locked by another process
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status IoError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }
  static Status NoSpace(std::string msg) { return Status(Code::kNoSpace, std::move(msg)); }
  static Status ReadOnly(std::string msg) { return Status(Code::kReadOnly, std::move(msg)); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status Busy(std::string msg) { return Status(Code::kBusy, std::move(msg)); }
  // An error from a system call: ENOSPC/EDQUOT become kNoSpace, the rest kIoError.
  static Status FromErrno(std::string_view context, int err);

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsNoSpace() const { return code_ == Code::kNoSpace; }
  bool IsReadOnly() const { return code_ == Code::kReadOnly; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace cairn::storage
