// cairn-bench's output. Text mode prints, after each test, a block shaped
// like redis-benchmark's; -q one line per test, like redis-benchmark -q;
// --json one object for the whole run, whose names the comparison script
// reads (keep them):
//   {"tool":"cairn-bench","host":"127.0.0.1","port":7070,"connections":50,
//    "requests":100000,"value_size":100,"keyspace":1000000,"pipeline":16,
//    "threads":1,"results":[{"test":"put","requests":100000,"errors":0,
//    "hits":0,"misses":0,"seconds":1.234,"ops_per_sec":81037.2,
//    "latency_ms":{"min":0.05,"p50":0.3,"p99":1.2,"p999":2.5,"max":4.0,
//                  "mean":0.35}}]}
// "keyspace" is 0 without -r (the literal key). "hits"/"misses" count GETs
// found/not found and DELETEs applied/not found; they are 0 for the others.
// Latencies are in milliseconds.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/cairn_bench/options.h"
#include "bench/cairn_bench/runner.h"

namespace cairn::bench {

// "PUT", "MIXED 9:1": how text output and the progress line name a test.
std::string TestLabel(const BenchOptions& options, TestKind kind);

// The redis-benchmark-like block, ending in a blank line.
std::string TextReport(const BenchOptions& options, const TestResult& result);
// "PUT: 81037.20 requests per second, p50=0.295 msec"
std::string QuietLine(const BenchOptions& options, const TestResult& result);
nlohmann::ordered_json JsonReport(const BenchOptions& options,
                                  const std::vector<TestResult>& results);

}  // namespace cairn::bench
