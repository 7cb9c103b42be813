#include "bench/cairn_bench/runner.h"

#include <boost/asio/post.hpp>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "bench/cairn_bench/connection.h"
#include "bench/cairn_bench/progress.h"
#include "bench/cairn_bench/report.h"
#include "bench/cairn_bench/shared_run.h"
#include "bench/cairn_bench/tls.h"
#include "bench/cairn_bench/worker.h"

namespace cairn::bench {

namespace {

namespace asio = boost::asio;

TestOutcome Failure(std::string message) { return TestOutcome{false, std::move(message), {}}; }

// Opens every connection, round-robin over the workers. "" or what failed.
std::string Connect(const BenchOptions& options, const ConnectionSettings& settings,
                    const std::vector<std::unique_ptr<Worker>>& workers) {
  const std::string peer = options.host + ":" + std::to_string(options.port);
  boost::system::error_code error;
  asio::ip::tcp::resolver resolver(workers[0]->loop());
  auto endpoints = resolver.resolve(options.host, std::to_string(options.port), error);
  if (error) return "cannot resolve " + options.host + ": " + error.message();
  for (uint32_t i = 0; i < options.connections; ++i) {
    std::string failure =
        workers[i % workers.size()]->AddConnection(endpoints, i + 1, peer, settings);
    if (!failure.empty()) return failure;
  }
  return "";
}

TestResult Merge(TestKind kind, const std::vector<std::unique_ptr<Worker>>& workers,
                 Clock::time_point start) {
  TestResult result;
  result.kind = kind;
  Clock::time_point end = start;
  for (const std::unique_ptr<Worker>& worker : workers) {
    const Tally& tally = worker->tally();
    result.latency_ns.Merge(tally.latency_ns);
    result.requests += tally.answered;
    result.errors += tally.errors;
    result.hits += tally.hits;
    result.misses += tally.misses;
    if (result.first_error.empty()) result.first_error = tally.first_error;
    if (tally.answered > 0) end = std::max(end, tally.last_answer);
  }
  result.seconds = std::chrono::duration<double>(end - start).count();
  return result;
}

}  // namespace

TestOutcome RunTest(const BenchOptions& options, TestKind kind, bool show_progress) {
  const Workload workload(options.Spec(kind));
  SharedRun run(&workload, options.requests, options.pipeline, options.connections);
  std::random_device seeds;
  std::vector<std::unique_ptr<Worker>> workers;
  for (uint32_t i = 0; i < options.threads; ++i) {
    workers.push_back(std::make_unique<Worker>(&run, (uint64_t{seeds()} << 32) ^ seeds()));
  }
  ConnectionSettings settings;
  settings.token = options.auth_token;
  std::unique_ptr<asio::ssl::context> tls;  // outlives the connections
  if (options.tls.enabled) {
    std::string failure;
    tls = MakeTlsContext(options.tls, &failure);
    if (!tls) return Failure(failure);
    settings.tls = tls.get();
    settings.tls_server_name = TlsServerName(options.tls, options.host);
    settings.tls_verify = options.tls.verify;
  }
  if (std::string failure = Connect(options, settings, workers); !failure.empty()) {
    return Failure(failure);
  }

  std::optional<ProgressLine> progress;
  asio::io_context& progress_loop = workers[0]->loop();
  if (show_progress) {
    progress.emplace(&progress_loop, TestLabel(options, kind), &workers);
    // The last connection to finish may be on another thread: the timer is
    // only touched on its own loop.
    run.set_on_finished([&progress, &progress_loop] {
      asio::post(progress_loop, [&progress] { progress->Stop(); });
    });
  }

  const Clock::time_point start = Clock::now();
  if (progress) progress->Start();
  std::vector<std::thread> threads;
  for (size_t i = 1; i < workers.size(); ++i) {
    threads.emplace_back([worker = workers[i].get()] { worker->Run(); });
  }
  workers[0]->Run();
  for (std::thread& thread : threads) thread.join();
  if (progress) progress->Clear();

  if (run.aborted()) return Failure(run.failure());
  return TestOutcome{true, "", Merge(kind, workers, start)};
}

}  // namespace cairn::bench
