#include "bench/cairn_bench/report.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace cairn::bench {

namespace {

double OpsPerSec(const TestResult& result) {
  // A test too short for the clock still gets a finite rate.
  return static_cast<double>(result.requests) / std::max(result.seconds, 1e-9);
}

double Ms(double nanos) { return nanos / 1e6; }

double PercentileMs(const TestResult& result, double percentile) {
  return Ms(static_cast<double>(result.latency_ns.ValueAtPercentile(percentile)));
}

std::string Format(const char* format, auto... args) {
  char line[256];
  std::snprintf(line, sizeof(line), format, args...);
  return line;
}

bool CountsHits(TestKind kind) {
  return kind == TestKind::kGet || kind == TestKind::kDelete || kind == TestKind::kMixed;
}

}  // namespace

std::string TestLabel(const BenchOptions& options, TestKind kind) {
  std::string label(TestName(kind));
  for (char& c : label) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (kind == TestKind::kMixed) {
    label.append(" ").append(std::to_string(options.read_weight));
    label.append(":").append(std::to_string(options.write_weight));
  }
  return label;
}

std::string TextReport(const BenchOptions& options, const TestResult& result) {
  const Histogram& latency = result.latency_ns;
  std::string out = "====== " + TestLabel(options, result.kind) + " ======\n";
  out += Format("  %llu requests completed in %.2f seconds\n",
                static_cast<unsigned long long>(result.requests), result.seconds);
  out += Format("  %u parallel clients\n", options.connections);
  out += Format("  %u bytes payload\n", options.value_size);
  out += Format("  pipeline: %u\n", options.pipeline);
  out += options.keyspace == 0
             ? std::string("  keyspace: the literal key\n")
             : Format("  keyspace: %llu keys\n", static_cast<unsigned long long>(options.keyspace));
  out += Format("  threads: %u\n", options.threads);
  out += Format("  errors: %llu\n", static_cast<unsigned long long>(result.errors));
  if (CountsHits(result.kind)) {
    out += Format("  hits: %llu, misses: %llu\n", static_cast<unsigned long long>(result.hits),
                  static_cast<unsigned long long>(result.misses));
  }
  out += "\nSummary:\n";
  out += Format("  throughput summary: %.2f requests per second\n", OpsPerSec(result));
  out += "  latency summary (msec):\n";
  out += Format("  %9s %9s %9s %9s %9s %9s\n", "min", "p50", "p99", "p99.9", "max", "avg");
  out += Format("  %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f\n\n", Ms(static_cast<double>(latency.min())),
                PercentileMs(result, 50), PercentileMs(result, 99), PercentileMs(result, 99.9),
                Ms(static_cast<double>(latency.max())), Ms(latency.mean()));
  return out;
}

std::string QuietLine(const BenchOptions& options, const TestResult& result) {
  return Format("%s: %.2f requests per second, p50=%.3f msec\n",
                TestLabel(options, result.kind).c_str(), OpsPerSec(result),
                PercentileMs(result, 50));
}

nlohmann::ordered_json JsonReport(const BenchOptions& options,
                                  const std::vector<TestResult>& results) {
  nlohmann::ordered_json tests = nlohmann::ordered_json::array();
  for (const TestResult& result : results) {
    const Histogram& latency = result.latency_ns;
    tests.push_back({
        {"test", TestName(result.kind)},
        {"requests", result.requests},
        {"errors", result.errors},
        {"hits", result.hits},
        {"misses", result.misses},
        {"seconds", result.seconds},
        {"ops_per_sec", OpsPerSec(result)},
        {"latency_ms",
         {{"min", Ms(static_cast<double>(latency.min()))},
          {"p50", PercentileMs(result, 50)},
          {"p99", PercentileMs(result, 99)},
          {"p999", PercentileMs(result, 99.9)},
          {"max", Ms(static_cast<double>(latency.max()))},
          {"mean", Ms(latency.mean())}}},
    });
  }
  return {
      {"tool", "cairn-bench"},        {"host", options.host},
      {"port", options.port},         {"connections", options.connections},
      {"requests", options.requests}, {"value_size", options.value_size},
      {"keyspace", options.keyspace}, {"pipeline", options.pipeline},
      {"threads", options.threads},   {"results", tests},
  };
}

}  // namespace cairn::bench
