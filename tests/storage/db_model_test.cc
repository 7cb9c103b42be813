// Randomized model test: thousands of random operations against a model,
// with power cuts (and torn tails) at random moments and restarts between
// rounds; after each recovery the store must equal the model.
#include <gtest/gtest.h>

#include <random>

#include "db_test_util.h"
#include "model.h"
#include "tests/common/temp_dir.h"
#include "tests/storage/fault_env.h"

namespace cairn::storage {
namespace {

using test::TempDir;

Mutation RandomMutation(std::mt19937_64& rng, const ModelState& state) {
  auto key = [&] { return "k" + std::to_string(rng() % 40); };
  auto value = [&] {
    std::string v(rng() % 300, '\0');
    for (char& c : v) c = static_cast<char>(rng());
    return v;
  };
  auto version_of = [&](const std::string& k) {
    auto it = state.find(k);
    if (it == state.end() || rng() % 4 == 0) return rng() % 5;  // often wrong
    return it->second.version;
  };
  switch (rng() % 8) {
    case 0:
    case 1:
      return Mutation::Put(key(), value());
    case 2:
      return Mutation::Delete(key());
    case 3: {
      std::string k = key();
      return Mutation::DeleteIfVersion(k, version_of(k));
    }
    case 4: {
      std::string k = key();
      return Mutation::Cas(k, version_of(k), value());
    }
    case 5:
      return Mutation::Incr("n" + std::to_string(rng() % 3),
                            static_cast<int64_t>(rng() % 200) - 100);
    default: {
      std::vector<BatchOp> ops;
      for (uint64_t i = 0, n = 1 + rng() % 5; i < n; ++i) {
        if (rng() % 3 == 0) {
          ops.push_back({true, key(), ""});
        } else {
          ops.push_back({false, key(), value()});
        }
      }
      return Mutation::Batch(std::move(ops));
    }
  }
}

TEST(DbModelTest, RandomOperationsWithCrashesMatchTheModel) {
  TempDir dir(TempDir::InMemory());
  FaultInjectionEnv env(Env::Default());
  std::mt19937_64 rng(20261127);
  CrashModel model;
  uint64_t operations = 0, crashes = 0;
  constexpr int kRounds = 25;
  for (int round = 0; round < kRounds; ++round) {
    Options options;
    options.env = &env;
    options.shards = 1 + static_cast<uint32_t>(rng() % 6);  // reshard now and then
    options.segment_bytes = 4096 << (rng() % 4);
    {
      auto db = OpenOrDie(options, dir.path());
      ASSERT_TRUE(db) << "round " << round;
      ASSERT_NO_FATAL_FAILURE(model.CheckRecovered(*db)) << "round " << round;
      env.SetCrashAfterOps(static_cast<int64_t>(50 + rng() % 400));
      for (int i = 0; i < 200 && !env.crashed(); ++i) {
        std::vector<Mutation> group;
        for (uint64_t g = 0, n = 1 + rng() % 4; g < n; ++g) {
          group.push_back(RandomMutation(rng, model.acked()));
        }
        std::vector<MutationResult> results;
        db->Commit(group, &results);
        operations += group.size();
        ASSERT_NO_FATAL_FAILURE(model.Record(group, results)) << "round " << round;
        if (rng() % 25 == 0) {
          uint64_t covered = 0;
          db->Snapshot(&covered);
        }
      }
    }
    crashes += env.crashed();
    ASSERT_TRUE(env.DropUnsyncedData(rng() % 2 ? 0 : rng() % 100).ok());
  }
  auto db = OpenOrDie(Options{.env = &env}, dir.path());
  ASSERT_NO_FATAL_FAILURE(model.CheckRecovered(*db));
  EXPECT_GT(crashes, kRounds / 2);
  std::printf("model test: %llu operations, %llu power cuts, %d recoveries checked\n",
              static_cast<unsigned long long>(operations), static_cast<unsigned long long>(crashes),
              kRounds + 1);
}

}  // namespace
}  // namespace cairn::storage
