#include "storage/coding.h"

#include <xxhash.h>

namespace cairn::storage {

void EncodeFixed32(char* dst, uint32_t value) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>(value >> (8 * i));
}

void EncodeFixed64(char* dst, uint64_t value) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>(value >> (8 * i));
}

uint32_t DecodeFixed32(const char* ptr) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= uint32_t{static_cast<unsigned char>(ptr[i])} << (8 * i);
  return value;
}

uint64_t DecodeFixed64(const char* ptr) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= uint64_t{static_cast<unsigned char>(ptr[i])} << (8 * i);
  return value;
}

void PutFixed32(std::string* dst, uint32_t value) {
  char buf[4];
  EncodeFixed32(buf, value);
  dst->append(buf, sizeof(buf));
}

void PutFixed64(std::string* dst, uint64_t value) {
  char buf[8];
  EncodeFixed64(buf, value);
  dst->append(buf, sizeof(buf));
}

void PutLengthPrefixed(std::string* dst, std::string_view value) {
  PutFixed32(dst, static_cast<uint32_t>(value.size()));
  dst->append(value);
}

bool GetFixed32(std::string_view* input, uint32_t* value) {
  if (input->size() < 4) return false;
  *value = DecodeFixed32(input->data());
  input->remove_prefix(4);
  return true;
}

bool GetFixed64(std::string_view* input, uint64_t* value) {
  if (input->size() < 8) return false;
  *value = DecodeFixed64(input->data());
  input->remove_prefix(8);
  return true;
}

bool GetLengthPrefixed(std::string_view* input, std::string_view* result) {
  std::string_view rest = *input;
  uint32_t length = 0;
  if (!GetFixed32(&rest, &length) || rest.size() < length) return false;
  *result = rest.substr(0, length);
  rest.remove_prefix(length);
  *input = rest;
  return true;
}

uint64_t Checksum(std::string_view data) { return XXH3_64bits(data.data(), data.size()); }

uint64_t KeyHash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

}  // namespace cairn::storage
