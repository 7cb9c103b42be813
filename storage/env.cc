#include "storage/env.h"

namespace cairn::storage {

namespace {

class StringContents final : public FileContents {
 public:
  std::string_view data() const override { return bytes; }
  std::string bytes;
};

}  // namespace

Status Env::ReadWholeFile(const std::string& fname, std::unique_ptr<FileContents>* result) {
  auto contents = std::make_unique<StringContents>();
  Status s = ReadFileToString(this, fname, &contents->bytes);
  if (s.ok()) *result = std::move(contents);
  return s;
}

Status ReadFileToString(Env* env, const std::string& fname, std::string* contents) {
  contents->clear();
  std::unique_ptr<SequentialFile> file;
  Status s = env->NewSequentialFile(fname, &file);
  if (!s.ok()) return s;
  constexpr size_t kChunk = 64 << 10;
  std::string scratch;
  while (true) {
    std::string_view fragment;
    s = file->Read(kChunk, &scratch, &fragment);
    if (!s.ok()) return s;
    contents->append(fragment);
    if (fragment.size() < kChunk) return Status::OK();  // end of file
  }
}

}  // namespace cairn::storage
