// Fixed-width little-endian integer coding for the on-disk formats, the
// stable key hash that routes keys to shards, and the checksum every file
// uses. Both hash and checksum are XXH3-64 (seed 0), whose output is fixed by
// the xxHash specification: the same on every build, platform and version.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::storage {

void PutFixed32(std::string* dst, uint32_t value);
void PutFixed64(std::string* dst, uint64_t value);
void EncodeFixed32(char* dst, uint32_t value);
void EncodeFixed64(char* dst, uint64_t value);
// REQUIRES: ptr points at 4 (8) readable bytes.
uint32_t DecodeFixed32(const char* ptr);
uint64_t DecodeFixed64(const char* ptr);

// Appends a u32 length and the bytes of value.
void PutLengthPrefixed(std::string* dst, std::string_view value);
// Reads a u32 length and that many bytes from the front of *input, advancing
// it. False when *input is too short.
bool GetLengthPrefixed(std::string_view* input, std::string_view* result);
bool GetFixed32(std::string_view* input, uint32_t* value);
bool GetFixed64(std::string_view* input, uint64_t* value);

uint64_t Checksum(std::string_view data);
uint64_t KeyHash(std::string_view key);
inline uint32_t ShardOf(std::string_view key, uint32_t shards) {
  return static_cast<uint32_t>(KeyHash(key) % shards);
}

}  // namespace cairn::storage
