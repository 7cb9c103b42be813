#include "storage/record_table.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace cairn::storage {
namespace {

std::string KeyOf(uint32_t n) {
  char key[32];
  std::snprintf(key, sizeof(key), "key:%012u", n);
  return key;
}

// Owns the records the table points to.
class RecordTableTest : public testing::Test {
 protected:
  ~RecordTableTest() override {
    for (auto& [key, record] : model_) IndexRecord::Free(record);
  }

  void Insert(const std::string& key, uint64_t version) {
    IndexRecord* record = IndexRecord::New(key, "v", version);
    table_.Insert(record);
    model_[key] = record;
  }

  void Erase(const std::string& key) {
    IndexRecord* record = model_.at(key);
    table_.Erase(record);
    model_.erase(key);
    IndexRecord::Free(record);
  }

  void ExpectMatchesModel(uint32_t key_space) {
    ASSERT_EQ(table_.size(), model_.size());
    for (uint32_t n = 0; n < key_space; ++n) {
      const std::string key = KeyOf(n);
      auto it = model_.find(key);
      EXPECT_EQ(table_.Find(key), it == model_.end() ? nullptr : it->second) << key;
    }
  }

  RecordTable table_;
  std::unordered_map<std::string, IndexRecord*> model_;
};

TEST_F(RecordTableTest, EmptyTableFindsNothingAndHoldsNoMemory) {
  EXPECT_EQ(table_.Find("k"), nullptr);
  EXPECT_EQ(table_.Find(""), nullptr);
  EXPECT_EQ(table_.memory_bytes(), 0u);
}

TEST_F(RecordTableTest, FindsBinaryKeysExactly) {
  Insert(std::string("a\0b", 3), 1);
  Insert("a", 2);
  Insert("", 3);
  EXPECT_EQ(table_.Find(std::string("a\0b", 3))->version(), 1u);
  EXPECT_EQ(table_.Find("a")->version(), 2u);
  EXPECT_EQ(table_.Find("")->version(), 3u);
  EXPECT_EQ(table_.Find(std::string("a\0", 2)), nullptr);
}

TEST_F(RecordTableTest, GrowsByDoublingAndStaysUnderSevenEighths) {
  size_t last_bytes = 0;
  for (uint32_t n = 0; n < 100000; ++n) {
    Insert(KeyOf(n), n + 1);
    const size_t slots = table_.memory_bytes() / sizeof(uint64_t);
    ASSERT_LE(table_.size() * 8, slots * 7) << "over 7/8 full at " << n;
    if (table_.memory_bytes() != last_bytes) {
      if (last_bytes != 0) {
        EXPECT_EQ(table_.memory_bytes(), last_bytes * 2) << "at " << n;
      }
      last_bytes = table_.memory_bytes();
    }
  }
  // 100,000 keys fit 131,072 slots (76% full): 10.5 bytes per key.
  EXPECT_EQ(table_.memory_bytes(), 131072u * sizeof(uint64_t));
  ExpectMatchesModel(100000);
}

TEST_F(RecordTableTest, ReserveSizesTheTableOnce) {
  table_.Reserve(100000);
  const size_t bytes = table_.memory_bytes();
  EXPECT_EQ(bytes, 131072u * sizeof(uint64_t));
  for (uint32_t n = 0; n < 100000; ++n) Insert(KeyOf(n), 1);
  EXPECT_EQ(table_.memory_bytes(), bytes);
  table_.Reserve(10);  // never shrinks
  EXPECT_EQ(table_.memory_bytes(), bytes);
  ExpectMatchesModel(100000);
}

TEST_F(RecordTableTest, ReplaceKeepsTheKeyFindable) {
  for (uint32_t n = 0; n < 1000; ++n) Insert(KeyOf(n), 1);
  IndexRecord* old = model_.at(KeyOf(500));
  IndexRecord* replacement = IndexRecord::New(KeyOf(500), "longer value", 2);
  table_.Replace(old, replacement);
  model_[KeyOf(500)] = replacement;
  IndexRecord::Free(old);
  EXPECT_EQ(table_.Find(KeyOf(500)), replacement);
  ExpectMatchesModel(1000);
}

// Churn over a fixed number of live keys: tombstones are reused or cleared,
// so the table does not grow without bound.
TEST_F(RecordTableTest, ChurnDoesNotGrowTheTable) {
  for (uint32_t n = 0; n < 1000; ++n) Insert(KeyOf(n), 1);
  const size_t bytes = table_.memory_bytes();
  for (uint32_t n = 1000; n < 50000; ++n) {
    Erase(KeyOf(n - 1000));
    Insert(KeyOf(n), 1);
  }
  EXPECT_EQ(table_.memory_bytes(), bytes);
  ExpectMatchesModel(50000);
}

TEST_F(RecordTableTest, MatchesAModelUnderRandomChanges) {
  std::mt19937 rng(3);
  constexpr uint32_t kKeySpace = 5000;
  for (int round = 0; round < 20; ++round) {
    const bool growing = round % 3 != 2;
    for (int i = 0; i < 5000; ++i) {
      const std::string key = KeyOf(rng() % kKeySpace);
      const bool present = model_.count(key) > 0;
      const bool insert = growing ? rng() % 4 != 0 : rng() % 4 == 0;
      if (insert && !present) Insert(key, round + 1);
      if (!insert && present) Erase(key);
    }
    ExpectMatchesModel(kKeySpace);
  }
}

}  // namespace
}  // namespace cairn::storage
