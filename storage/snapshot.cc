#include "storage/snapshot.h"

#include <xxhash.h>

#include <charconv>
#include <cstdio>
#include <memory>

#include "storage/coding.h"

namespace cairn::storage {

namespace {

constexpr std::string_view kPrefix = "snapshot-";
constexpr std::string_view kSuffix = ".snap";
constexpr size_t kWriteChunk = 1 << 20;

bool ParseNumber(std::string_view digits, uint32_t* value) {
  if (digits.empty()) return false;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *value);
  return ec == std::errc() && end == digits.data() + digits.size();
}

// Appends to a file through a buffer while hashing every byte written.
class HashingWriter {
 public:
  explicit HashingWriter(WritableFile* file) : file_(file), state_(XXH3_createState()) {
    XXH3_64bits_reset(state_.get());
  }
  Status Add(std::string_view data) {
    XXH3_64bits_update(state_.get(), data.data(), data.size());
    buffer_.append(data);
    return buffer_.size() >= kWriteChunk ? Flush() : Status::OK();
  }
  Status Flush() {
    Status s = file_->Append(buffer_);
    buffer_.clear();
    return s;
  }
  uint64_t digest() const { return XXH3_64bits_digest(state_.get()); }

 private:
  struct StateDeleter {
    void operator()(XXH3_state_t* state) const { XXH3_freeState(state); }
  };
  WritableFile* file_;
  std::unique_ptr<XXH3_state_t, StateDeleter> state_;
  std::string buffer_;
};

Status WriteSnapshotFile(WritableFile* file, const SnapshotInfo& info,
                         const std::vector<SnapshotEntry>& entries) {
  HashingWriter writer(file);
  std::string chunk(kSnapshotMagic);
  PutFixed32(&chunk, kSnapshotFormatVersion);
  PutFixed32(&chunk, info.shard_count);
  PutFixed32(&chunk, info.shard_index);
  PutFixed32(&chunk, 0);
  PutFixed64(&chunk, info.covered_version);
  Status s = writer.Add(chunk);
  for (size_t i = 0; s.ok() && i < entries.size(); ++i) {
    const SnapshotEntry& e = entries[i];
    chunk.clear();
    PutFixed32(&chunk, static_cast<uint32_t>(e.key.size()));
    PutFixed32(&chunk, static_cast<uint32_t>(e.value.size()));
    PutFixed64(&chunk, e.version);
    s = writer.Add(chunk);
    if (s.ok()) s = writer.Add(e.key);
    if (s.ok()) s = writer.Add(e.value);
  }
  if (!s.ok()) return s;
  chunk.assign(kSnapshotFooterMagic);
  PutFixed64(&chunk, entries.size());
  s = writer.Add(chunk);
  if (!s.ok()) return s;
  chunk.clear();
  PutFixed64(&chunk, writer.digest());
  s = writer.Add(chunk);
  if (s.ok()) s = writer.Flush();
  if (s.ok()) s = file->Sync();
  return s;
}

}  // namespace

std::string SnapshotFileName(uint32_t shard_count, uint32_t shard_index) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "snapshot-%04u-%04u.snap", shard_count, shard_index);
  return buf;
}

bool ParseSnapshotFileName(std::string_view name, uint32_t* shard_count, uint32_t* shard_index) {
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return false;
  std::string_view middle =
      name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  const size_t dash = middle.find('-');
  // Only the spelling SnapshotFileName produces, so that the file recovery
  // opens is the file that was listed.
  return dash != std::string_view::npos && ParseNumber(middle.substr(0, dash), shard_count) &&
         ParseNumber(middle.substr(dash + 1), shard_index) && *shard_count > 0 &&
         *shard_index < *shard_count && SnapshotFileName(*shard_count, *shard_index) == name;
}

Status WriteSnapshot(Env* env, const std::string& dir, const SnapshotInfo& info,
                     const std::vector<SnapshotEntry>& entries) {
  const std::string name = dir + "/" + SnapshotFileName(info.shard_count, info.shard_index);
  const std::string tmp = name + std::string(kTempSuffix);
  std::unique_ptr<WritableFile> file;
  Status s = env->NewWritableFile(tmp, &file);
  if (!s.ok()) return s;
  s = WriteSnapshotFile(file.get(), info, entries);
  Status close = file->Close();
  if (s.ok()) s = close;
  if (s.ok()) s = env->RenameFile(tmp, name);
  if (s.ok()) s = env->SyncDir(dir);
  if (!s.ok()) env->RemoveFile(tmp);  // best effort: the old image stays in place
  return s;
}

Status VerifySnapshot(std::string_view contents, SnapshotInfo* info, std::string_view* body) {
  if (contents.size() < kSnapshotHeaderSize + kSnapshotFooterSize) {
    return Status::Corruption("snapshot is short (" + std::to_string(contents.size()) +
                              " bytes) at offset 0");
  }
  if (contents.substr(0, kSnapshotMagic.size()) != kSnapshotMagic) {
    return Status::Corruption("bad snapshot magic at offset 0");
  }
  const size_t checksum_offset = contents.size() - 8;
  if (DecodeFixed64(contents.data() + checksum_offset) !=
      Checksum(contents.substr(0, checksum_offset))) {
    return Status::Corruption("snapshot checksum mismatch (checksum at offset " +
                              std::to_string(checksum_offset) + ")");
  }
  const uint32_t format = DecodeFixed32(contents.data() + 8);
  if (format != kSnapshotFormatVersion) {
    return Status::Corruption("unsupported snapshot format version " + std::to_string(format) +
                              " at offset 8");
  }
  info->shard_count = DecodeFixed32(contents.data() + 12);
  info->shard_index = DecodeFixed32(contents.data() + 16);
  info->covered_version = DecodeFixed64(contents.data() + 24);
  const size_t footer_offset = contents.size() - kSnapshotFooterSize;
  if (contents.substr(footer_offset, kSnapshotFooterMagic.size()) != kSnapshotFooterMagic) {
    return Status::Corruption("bad snapshot footer magic at offset " +
                              std::to_string(footer_offset));
  }
  info->entry_count = DecodeFixed64(contents.data() + footer_offset + 8);
  *body = contents.substr(kSnapshotHeaderSize, footer_offset - kSnapshotHeaderSize);
  return Status::OK();
}

Status SnapshotEntryAt(std::string_view* body, uint64_t offset, std::string_view* key,
                       std::string_view* value, uint64_t* version) {
  uint32_t key_length = 0, value_length = 0;
  std::string_view rest = *body;
  if (!GetFixed32(&rest, &key_length) || !GetFixed32(&rest, &value_length) ||
      !GetFixed64(&rest, version) || rest.size() < uint64_t{key_length} + value_length) {
    return Status::Corruption("truncated snapshot entry at offset " + std::to_string(offset));
  }
  *key = rest.substr(0, key_length);
  *value = rest.substr(key_length, value_length);
  rest.remove_prefix(uint64_t{key_length} + value_length);
  *body = rest;
  return Status::OK();
}

}  // namespace cairn::storage
