// Crash explorer: a seeded, reproducible randomized search over crash
// states, in the spirit of SQLite's crash-test VFS and CrashMonkey. Each
// crash point (one seed) opens a fresh store with random options, runs a
// random workload of groups (puts, deletes, conditional deletes, CAS, INCR,
// batches, snapshots, syncs, now and then a failed sync or a full disk),
// freezes the machine after a random number of mutating operations, cuts
// the power into a random legal disk state and recovers in strict mode.
//
// Contract checked for every crash point:
// - Open succeeds.
// - The recovered state (values and versions) is the model after some
//   prefix of the commit order (acknowledged writes, then the writes of the
//   group in flight when the machine froze), at the versions the store
//   handed out.
// - That prefix holds every write that had to be durable: every
//   acknowledged one under kEveryCommit; under kPeriodic and kNone, those
//   committed before the last SyncLog, SyncIfDue (kPeriodic) or Snapshot
//   that returned OK.
// - A write answered with kIoError or kReadOnly never appears: it is not in
//   the commit order at all.
// - The next write after recovery gets a version above every version
//   handed out before the crash.
//
// CAIRN_CRASH_POINTS (default kDefaultPoints) and CAIRN_CRASH_SEED (default
// kDefaultSeed) choose the seeds base..base+points-1; a failure prints the
// command that reruns its seed alone.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "db_test_util.h"
#include "model.h"
#include "storage/db.h"
#include "tests/common/temp_dir.h"
#include "tests/storage/fault_env.h"

namespace cairn::storage {
namespace {

using test::TempDir;
using Code = MutationResult::Code;

constexpr uint64_t kDefaultPoints = 3000;
constexpr uint64_t kDefaultSeed = 0x5eed0000;
constexpr int kKeys = 30;
constexpr int kMaxGroups = 150;
constexpr int kMaxFailures = 5;  // failing seeds reported before giving up

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  return std::strtoull(text, nullptr, 0);
}

const char* PolicyName(SyncPolicy policy) {
  switch (policy) {
    case SyncPolicy::kEveryCommit:
      return "kEveryCommit";
    case SyncPolicy::kPeriodic:
      return "kPeriodic";
    case SyncPolicy::kNone:
      return "kNone";
  }
  return "?";
}

// Random mutations over a small key set, so that overwrites, CAS and INCR
// meet the same keys. Conditions are drawn against the current state, so
// that they are often (not always) right.
class Generator {
 public:
  explicit Generator(std::mt19937_64* rng) : rng_(*rng) {}

  std::string Key() { return "k" + std::to_string(rng_() % kKeys); }

  std::string Value() {
    if (rng_() % 5 == 0) {  // a number, for INCR to work on
      return std::to_string(static_cast<int64_t>(rng_() % 2001) - 1000);
    }
    std::string v(rng_() % 601, '\0');
    for (char& c : v) c = static_cast<char>(rng_());
    return v;
  }

  // The key's version, or (often enough) a wrong one.
  uint64_t VersionOf(const ModelState& state, const std::string& key) {
    auto it = state.find(key);
    const uint64_t right = it == state.end() ? 0 : it->second.version;
    if (rng_() % 3 == 0) return rng_() % 2 ? right + 1 + rng_() % 3 : rng_() % 4;
    return right;
  }

  Mutation Next(const ModelState& state) {
    switch (rng_() % 10) {
      case 0:
      case 1:
      case 2:
        return Mutation::Put(Key(), Value());
      case 3:
        return Mutation::Delete(Key());
      case 4: {
        std::string k = Key();
        return Mutation::DeleteIfVersion(k, VersionOf(state, k));
      }
      case 5:
      case 6: {
        std::string k = Key();
        return Mutation::Cas(k, VersionOf(state, k), Value());
      }
      case 7: {
        // Mostly the first few keys, where numbers accumulate.
        std::string k = rng_() % 2 ? "k" + std::to_string(rng_() % 4) : Key();
        return Mutation::Incr(k, static_cast<int64_t>(rng_() % 201) - 100);
      }
      default: {
        std::vector<BatchOp> ops;
        for (uint64_t i = 0, n = 1 + rng_() % 5; i < n; ++i) {
          if (rng_() % 3 == 0) {
            ops.push_back({true, Key(), ""});
          } else {
            ops.push_back({false, Key(), Value()});
          }
        }
        return Mutation::Batch(std::move(ops));
      }
    }
  }

 private:
  std::mt19937_64& rng_;
};

// One write in commit order.
struct Logged {
  Mutation mutation;
  uint64_t version = 0;  // acknowledged: what the store answered; 0 in flight
  bool acknowledged = false;
};

struct Totals {
  uint64_t recoveries = 0;
  uint64_t durable_writes = 0;
  uint64_t answered_errors = 0;
  uint64_t with_faults = 0;
};

std::string Describe(const Mutation& m) {
  std::ostringstream out;
  switch (m.kind) {
    case Mutation::Kind::kPut:
      out << "PUT " << m.key << " (" << m.value.size() << " bytes)";
      break;
    case Mutation::Kind::kDelete:
      out << "DEL " << m.key;
      if (m.has_expected_version) out << " if v" << m.expected_version;
      break;
    case Mutation::Kind::kCas:
      out << "CAS " << m.key << " if v" << m.expected_version;
      break;
    case Mutation::Kind::kIncr:
      out << "INCR " << m.key << " " << m.delta;
      break;
    case Mutation::Kind::kBatch:
      out << "BATCH of " << m.ops.size();
      break;
  }
  return out.str();
}

// Runs crash point seed; sets *ok once every check passed.
void RunCrashPoint(uint64_t seed, Totals* totals, bool* ok) {
  std::mt19937_64 rng(seed);
  Generator gen(&rng);
  TempDir dir(TempDir::InMemory());
  FaultInjectionEnv env(Env::Default(), seed);

  Options options;
  options.env = &env;
  options.shards = 1 + static_cast<uint32_t>(rng() % 4);
  options.segment_bytes = 4096ull << (rng() % 4);
  options.recovery_threads = 1;
  switch (rng() % 3) {
    case 0:
      options.sync_policy = SyncPolicy::kEveryCommit;
      break;
    case 1:
      options.sync_policy = SyncPolicy::kPeriodic;
      options.sync_period = std::chrono::milliseconds(0);  // every SyncIfDue syncs
      break;
    default:
      options.sync_policy = SyncPolicy::kNone;
      break;
  }
  const int64_t crash_after = static_cast<int64_t>(rng() % 301);
  const bool faults = rng() % 2 == 0;  // half the points inject I/O faults
  SCOPED_TRACE(::testing::Message()
               << "options: shards " << options.shards << ", segment_bytes "
               << options.segment_bytes << ", " << PolicyName(options.sync_policy)
               << ", crash after " << crash_after << " ops" << (faults ? ", with I/O faults" : ""));

  ModelState current;            // the store as its answers describe it
  std::vector<Logged> logged;    // every write, in commit order
  std::vector<Mutation> errors;  // answered kIoError / kReadOnly: never applied
  size_t must_survive = 0;       // logged[0, must_survive) has to be recovered
  uint64_t last_version = 0;     // highest version answered OK
  bool injected = false;
  std::string history;  // what the workload did, for failure messages

  {
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, dir.path(), &db);
    ASSERT_TRUE(s.ok()) << "initial open: " << s.ToString();
    env.SetCrashAfterOps(crash_after);
    int read_only_groups = 0;
    for (int g = 0; g < kMaxGroups && !env.crashed() && read_only_groups < 3; ++g) {
      if (db->read_only()) ++read_only_groups;
      std::vector<Mutation> group;
      bool space_limited = false;
      if (faults && rng() % 40 == 0) {
        injected = true;
        if (rng() % 2 == 0) {
          env.FailNextSync();
          history += "[FailNextSync] ";
        } else {
          env.SetSpaceLimit(env.used_bytes() + 100);
          std::string big = "big" + std::to_string(g) + ":" + std::to_string(seed);
          big.resize(64 << 10, 'F');
          group.push_back(Mutation::Put(gen.Key(), std::move(big)));
          space_limited = true;
          history += "[SpaceLimit] ";
        }
      }
      for (uint64_t i = 0, n = 1 + rng() % 5; i < n; ++i) group.push_back(gen.Next(current));

      std::vector<MutationResult> results;
      db->Commit(group, &results);
      if (space_limited) env.ClearSpaceLimit();
      ASSERT_EQ(results.size(), group.size());
      if (env.crashed()) {
        // The process died inside Commit: nobody saw these answers.
        for (const Mutation& m : group) logged.push_back({m, 0, false});
        history += "group " + std::to_string(g) + " in flight; ";
        break;
      }
      history += "group " + std::to_string(g) + ":";
      for (size_t i = 0; i < group.size(); ++i) {
        const MutationResult& r = results[i];
        history += " " + Describe(group[i]) + "=" + std::to_string(static_cast<int>(r.code));
        if (r.code == Code::kIoError || r.code == Code::kReadOnly) {
          errors.push_back(group[i]);
          continue;
        }
        const bool applied = ApplyToModel(group[i], last_version + 1, &current);
        ASSERT_EQ(applied, r.code == Code::kOk)
            << "store and model disagree on " << Describe(group[i]) << " in group " << g
            << " (code " << static_cast<int>(r.code) << ", " << r.message << ")";
        if (!applied) continue;
        ASSERT_EQ(r.version, last_version + 1) << "versions are consecutive before a crash";
        if (group[i].kind == Mutation::Kind::kIncr) {
          ASSERT_EQ(r.value, current[group[i].key].value) << "INCR answered another sum";
        }
        last_version = r.version;
        logged.push_back({group[i], r.version, true});
        if (options.sync_policy == SyncPolicy::kEveryCommit) must_survive = logged.size();
      }
      history += "; ";
      // A group is all errors or none.
      size_t group_errors = 0;
      for (const MutationResult& r : results) {
        group_errors += r.code == Code::kIoError || r.code == Code::kReadOnly;
      }
      ASSERT_TRUE(group_errors == 0 || group_errors == group.size())
          << "group " << g << " mixes errors with answers";

      // Sync points: what was committed before one that returned OK (and
      // did not die half way) has to survive.
      const uint64_t sync_choice = rng() % 12;
      if (sync_choice == 0) {
        uint64_t covered = 0;
        const Status st = db->Snapshot(&covered);
        if (env.crashed()) break;
        history += "Snapshot=" + st.ToString() + "; ";
        if (st.ok()) must_survive = logged.size();
      } else if (sync_choice <= 2) {
        const Status st = db->SyncLog();
        if (env.crashed()) break;
        history += "SyncLog=" + st.ToString() + "; ";
        if (st.ok()) must_survive = logged.size();
      } else if (sync_choice <= 4) {
        const bool was_read_only = db->read_only();
        db->SyncIfDue();
        if (env.crashed()) break;
        history += "SyncIfDue; ";
        if (options.sync_policy == SyncPolicy::kPeriodic && !was_read_only && !db->read_only()) {
          must_survive = logged.size();
        }
      }
    }
    // The process dies here, whether or not the freeze came: closing must
    // not get to sync anything.
    if (!env.crashed()) env.SetCrashAfterOps(0);
  }
  totals->with_faults += injected;

  ASSERT_TRUE(env.PowerCut(seed).ok());
  // A fresh env for the reboot: a pending injected fault must not hit
  // recovery, and every file on disk is durable after the cut.
  FaultInjectionEnv reboot_env(Env::Default(), seed);
  Options reopen = options;
  reopen.env = &reboot_env;
  std::unique_ptr<DB> db;
  const Status s = DB::Open(reopen, dir.path(), &db);
  ASSERT_TRUE(s.ok()) << "strict recovery failed: " << s.ToString() << "\nhistory: " << history;

  const ModelState got = ReadAll(*db);
  // First, and more telling than the prefix search: no value only an answered error
  // wrote is in the store (values of 16 bytes or more are unique).
  for (const Mutation& m : errors) {
    std::vector<std::string> values;
    if (m.kind == Mutation::Kind::kPut || m.kind == Mutation::Kind::kCas) values.push_back(m.value);
    for (const BatchOp& op : m.ops) {
      if (!op.is_delete) values.push_back(op.value);
    }
    for (const std::string& v : values) {
      if (v.size() < 16) continue;
      for (const auto& [key, entry] : got) {
        ASSERT_NE(entry.value, v) << "a write answered with an error reappeared: " << Describe(m)
                                  << " at key " << key << "\nhistory: " << history;
      }
    }
  }

  ModelState candidate;
  uint64_t version = 0;
  std::vector<size_t> matches;              // prefix lengths that give got
  std::vector<uint64_t> prefix_version{0};  // last version of each prefix
  if (got == candidate) matches.push_back(0);
  for (size_t k = 0; k < logged.size(); ++k) {
    const Logged& e = logged[k];
    const bool applied = ApplyToModel(e.mutation, version + 1, &candidate);
    if (applied) ++version;
    prefix_version.push_back(version);
    if (e.acknowledged) {
      ASSERT_TRUE(applied && version == e.version) << "model replay diverged at write " << k;
    }
    if (got == candidate) matches.push_back(k + 1);
  }
  size_t best = 0;
  for (size_t m : matches) best = std::max(best, m);
  size_t acked = 0;
  for (const Logged& e : logged) acked += e.acknowledged;
  ASSERT_FALSE(matches.empty()) << "recovered " << got.size() << " keys (last_version "
                                << db->Stats().last_version << "), matching no prefix of the "
                                << logged.size() << " logged writes (" << acked << " acknowledged, "
                                << must_survive << " had to survive, " << errors.size()
                                << " answered errors)\nhistory: " << history;
  ASSERT_GE(best, must_survive) << "recovered only the first " << best << " of " << logged.size()
                                << " logged writes, but " << must_survive
                                << " had to survive\nhistory: " << history;

  // Versions are never handed out twice.
  const MutationResult next = CommitOne(db.get(), Mutation::Put("after-crash", "x"));
  ASSERT_EQ(next.code, Code::kOk) << next.message;
  ASSERT_GT(next.version, last_version) << "a version answered before the crash was reused";
  // The shortest matching prefix that keeps every durable write: a longer
  // one may differ only by writes that left no trace (a batch deleting
  // absent keys), whose versions the store need not remember.
  size_t shortest = best;
  for (size_t m : matches) {
    if (m >= must_survive) shortest = std::min(shortest, m);
  }
  ASSERT_GT(next.version, prefix_version[shortest])
      << "a version recovered from the log was reused";
  for (const auto& [key, entry] : got) {
    ASSERT_GT(next.version, entry.version) << "the version of " << key << " was reused";
  }

  ++totals->recoveries;
  totals->durable_writes += must_survive;
  totals->answered_errors += errors.size();
  *ok = true;
}

TEST(CrashExplorer, EveryLegalCrashStateRecovers) {
  const uint64_t points = EnvNumber("CAIRN_CRASH_POINTS", kDefaultPoints);
  const uint64_t base = EnvNumber("CAIRN_CRASH_SEED", kDefaultSeed);
  // Thousands of opens and crashes: keep the log for failures.
  const spdlog::level::level_enum log_level = spdlog::get_level();
  spdlog::set_level(spdlog::level::off);
  Totals totals;
  int failures = 0;
  uint64_t done = 0;
  for (uint64_t i = 0; i < points && failures < kMaxFailures; ++i, ++done) {
    const uint64_t seed = base + i;
    SCOPED_TRACE(::testing::Message()
                 << "crash point seed " << seed << "; reproduce with: CAIRN_CRASH_POINTS=1 "
                 << "CAIRN_CRASH_SEED=" << seed
                 << " tests/storage/storage_tests --gtest_filter='CrashExplorer.*'"
                 << " (in the build directory)");
    bool ok = false;
    RunCrashPoint(seed, &totals, &ok);
    if (!ok) ++failures;
  }
  spdlog::set_level(log_level);
  std::printf(
      "crash explorer: %llu crash points (seeds %llu..%llu), %llu recoveries checked, %llu "
      "acknowledged writes verified, %llu answered errors verified absent, %llu with injected "
      "I/O faults\n",
      static_cast<unsigned long long>(done), static_cast<unsigned long long>(base),
      static_cast<unsigned long long>(base + (done == 0 ? 0 : done - 1)),
      static_cast<unsigned long long>(totals.recoveries),
      static_cast<unsigned long long>(totals.durable_writes),
      static_cast<unsigned long long>(totals.answered_errors),
      static_cast<unsigned long long>(totals.with_faults));
  EXPECT_EQ(failures, 0) << failures << " failing crash points (stopped after " << kMaxFailures
                         << ")";
}

}  // namespace
}  // namespace cairn::storage
