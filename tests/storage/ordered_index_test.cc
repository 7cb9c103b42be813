#include "storage/ordered_index.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace cairn::storage {
namespace {

using Model = std::map<std::string, std::pair<std::string, uint64_t>>;

std::string KeyOf(uint32_t n) {
  char key[32];
  std::snprintf(key, sizeof(key), "key:%012u", n);
  return key;
}

std::vector<std::string> KeysFrom(const OrderedIndex& index, std::string_view start) {
  std::vector<std::string> keys;
  index.VisitFrom(start, [&](const IndexRecord& r) {
    keys.emplace_back(r.key());
    return true;
  });
  return keys;
}

void ExpectSameAs(const Model& model, const OrderedIndex& index) {
  ASSERT_EQ(index.size(), model.size());
  std::vector<std::string> expected;
  for (const auto& [key, entry] : model) {
    expected.push_back(key);
    const IndexRecord* r = index.Find(key);
    ASSERT_NE(r, nullptr) << key;
    EXPECT_EQ(r->value(), entry.first);
    EXPECT_EQ(r->version(), entry.second);
  }
  EXPECT_EQ(KeysFrom(index, ""), expected);
}

TEST(OrderedIndexTest, EmptyIndexFindsNothing) {
  OrderedIndex index;
  EXPECT_EQ(index.Find("a"), nullptr);
  EXPECT_EQ(index.Erase("a"), -1);
  EXPECT_TRUE(KeysFrom(index, "").empty());
  EXPECT_EQ(index.size(), 0u);
}

TEST(OrderedIndexTest, PutReportsWhatItReplaced) {
  OrderedIndex index;
  EXPECT_EQ(index.Put("k", "abc", 1), -1);
  EXPECT_EQ(index.Put("k", "xyz", 2), 3);  // same size: overwritten in place
  EXPECT_EQ(index.Find("k")->value(), "xyz");
  EXPECT_EQ(index.Put("k", "longer value", 3), 3);
  EXPECT_EQ(index.Find("k")->value(), "longer value");
  EXPECT_EQ(index.Find("k")->version(), 3u);
  EXPECT_EQ(index.Erase("k"), 12);
  EXPECT_EQ(index.Find("k"), nullptr);
  EXPECT_EQ(index.size(), 0u);
}

TEST(OrderedIndexTest, KeysAreBinaryAndUnsignedOrdered) {
  OrderedIndex index;
  const std::string zero("\0", 1), high("\xff", 1), empty;
  index.Put(high, "h", 1);
  index.Put(zero, std::string("v\0w", 3), 2);
  index.Put(empty, "", 3);
  index.Put("a", "a", 4);
  EXPECT_EQ(KeysFrom(index, ""), (std::vector<std::string>{empty, zero, "a", high}));
  EXPECT_EQ(index.Find(zero)->value(), std::string("v\0w", 3));
  EXPECT_EQ(KeysFrom(index, "b"), (std::vector<std::string>{high}));
}

TEST(OrderedIndexTest, VisitStopsWhenAsked) {
  OrderedIndex index;
  for (uint32_t i = 0; i < 1000; ++i) index.Put(KeyOf(i), "v", i + 1);
  std::vector<std::string> seen;
  index.VisitFrom(KeyOf(500), [&](const IndexRecord& r) {
    seen.emplace_back(r.key());
    return seen.size() < 3;
  });
  EXPECT_EQ(seen, (std::vector<std::string>{KeyOf(500), KeyOf(501), KeyOf(502)}));
  // A start between two keys begins at the next one, across leaf borders.
  for (uint32_t i = 0; i + 1 < 1000; i += 37) {
    EXPECT_EQ(KeysFrom(index, KeyOf(i) + '\0').front(), KeyOf(i + 1));
  }
}

// An ordered load (a snapshot) fills leaves completely: the index spends
// about a pointer per key beyond the records themselves.
TEST(OrderedIndexTest, OrderedLoadPacksLeaves) {
  OrderedIndex index;
  const uint32_t n = 100 * OrderedIndex::kLeafCapacity;
  for (uint32_t i = 0; i < n; ++i) index.Put(KeyOf(i), std::string(100, 'v'), i + 1);
  const size_t records = n * IndexRecord::AllocationSize(16, 100);
  const size_t structure = index.memory_bytes() - records - index.table_bytes();
  EXPECT_LE(structure, n * 10) << "leaves are not packed: " << structure << " bytes for " << n;
}

// Random inserts split leaves in half; they stay at least half full on
// average, so the structure costs at most about two pointers per key.
TEST(OrderedIndexTest, RandomLoadKeepsLeavesHalfFull) {
  OrderedIndex index;
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) index.Put(KeyOf(rng()), "v", 1);
  const size_t records = index.size() * IndexRecord::AllocationSize(16, 1);
  EXPECT_LE(index.memory_bytes() - records - index.table_bytes(), index.size() * 17);
}

TEST(OrderedIndexTest, DeletingMostKeysMergesLeaves) {
  OrderedIndex index;
  const uint32_t n = 50 * OrderedIndex::kLeafCapacity;
  for (uint32_t i = 0; i < n; ++i) index.Put(KeyOf(i), "v", 1);
  const size_t full = index.memory_bytes();
  for (uint32_t i = 0; i < n; ++i) {
    if (i % 16 != 0) index.Erase(KeyOf(i));
  }
  ASSERT_EQ(index.size(), n / 16);
  const size_t records = index.size() * IndexRecord::AllocationSize(16, 1);
  // Without merging, 50 leaves would stay; merged, at most a few remain.
  EXPECT_LE(index.memory_bytes() - records - index.table_bytes(), full / 8)
      << "sparse leaves were not merged";
  Model model;
  for (uint32_t i = 0; i < n; i += 16) model[KeyOf(i)] = {"v", 1};
  ExpectSameAs(model, index);
}

// Random puts, overwrites and erases against std::map, checked in full every
// so often, so splits, merges and leaf removal are all crossed.
// Key shapes for the leaves' tags (the two bytes after the prefix a leaf's
// keys share): keys that differ early, keys that share a long prefix, and
// short binary keys with zero bytes that are prefixes of one another (tags
// pad with zeros, so those tie).
std::string LongSharedPrefixKey(uint32_t n) { return "a-long-shared-prefix/" + KeyOf(n); }
std::string ZeroByteKey(uint32_t n) {
  std::string key = "p" + std::string(n % 4, '\0');
  if (n / 4 % 2 == 1) key.push_back(static_cast<char>(n / 8));
  return key;
}

struct KeyShape {
  const char* name;
  std::string (*key)(uint32_t);
};

void PrintTo(const KeyShape& shape, std::ostream* os) { *os << shape.name; }

class OrderedIndexModelTest : public testing::TestWithParam<KeyShape> {};

TEST_P(OrderedIndexModelTest, MatchesAModelUnderRandomChanges) {
  const auto key_of = GetParam().key;
  OrderedIndex index;
  Model model;
  std::mt19937 rng(42);
  for (int round = 0; round < 40; ++round) {
    // Alternate growing and shrinking phases over a small key space.
    const bool growing = round % 4 != 3;
    for (int i = 0; i < 2000; ++i) {
      const std::string key = key_of(static_cast<uint32_t>(rng() % 3000));
      const bool put = growing ? rng() % 4 != 0 : rng() % 4 == 0;
      if (put) {
        const std::string value(rng() % 20, static_cast<char>('a' + rng() % 26));
        const uint64_t version = round * 10000 + i + 1;
        auto it = model.find(key);
        const int64_t expected =
            it == model.end() ? -1 : static_cast<int64_t>(it->second.first.size());
        ASSERT_EQ(index.Put(key, value, version), expected);
        model[key] = {value, version};
      } else {
        auto it = model.find(key);
        const int64_t expected =
            it == model.end() ? -1 : static_cast<int64_t>(it->second.first.size());
        ASSERT_EQ(index.Erase(key), expected);
        if (it != model.end()) model.erase(it);
      }
    }
    ExpectSameAs(model, index);
    const std::string start = key_of(static_cast<uint32_t>(rng() % 3000));
    std::vector<std::string> expected;
    for (auto it = model.lower_bound(start); it != model.end(); ++it) expected.push_back(it->first);
    EXPECT_EQ(KeysFrom(index, start), expected);
  }
}

INSTANTIATE_TEST_SUITE_P(KeyShapes, OrderedIndexModelTest,
                         testing::Values(KeyShape{"Short", &KeyOf},
                                         KeyShape{"LongSharedPrefix", &LongSharedPrefixKey},
                                         KeyShape{"ZeroBytes", &ZeroByteKey}),
                         [](const testing::TestParamInfo<KeyShape>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace cairn::storage
