// Helpers for tests that drive a DB: one-mutation commits and reopening.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "storage/db.h"

namespace cairn::storage {

inline MutationResult CommitOne(DB* db, Mutation m) {
  std::vector<MutationResult> results;
  db->Commit(std::span<const Mutation>(&m, 1), &results);
  EXPECT_EQ(results.size(), 1u);
  return results.empty() ? MutationResult{} : results[0];
}

inline uint64_t PutOk(DB* db, const std::string& key, const std::string& value) {
  MutationResult r = CommitOne(db, Mutation::Put(key, value));
  EXPECT_EQ(r.code, MutationResult::Code::kOk) << r.message;
  return r.version;
}

inline std::map<std::string, std::string> Contents(const DB& db) {
  std::map<std::string, std::string> contents;
  std::string start;
  while (true) {
    ScanResult page = db.Scan(start, "", 1000, 1 << 30);
    for (auto& [k, v] : page.entries) contents[k] = v;
    if (!page.more) break;
    start = page.entries.back().first + std::string(1, '\0');
  }
  return contents;
}

inline std::unique_ptr<DB> OpenOrDie(const Options& options, const std::string& dir) {
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, dir, &db);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return db;
}

}  // namespace cairn::storage
