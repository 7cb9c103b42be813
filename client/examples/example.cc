// cairn-example HOST PORT: a tour of the Cairn client library. Writes a few
// keys, reads them back, scans them, pipelines a bulk load, and prints what
// it saw. The token for a server started with --auth-token-file comes from
// the environment variable CAIRN_AUTH_TOKEN. Exits 0 when every step worked.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

#include "client/client.h"
#include "client/pipeline.h"
#include "client/requests.h"

namespace {

int Fail(const std::string& step, const cairn::Status& status) {
  std::cerr << step << " failed: " << status.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: cairn-example HOST PORT\n";
    return 2;
  }
  cairn::ClientOptions options;
  options.host = argv[1];
  options.port = static_cast<uint16_t>(std::atoi(argv[2]));
  if (const char* token = std::getenv("CAIRN_AUTH_TOKEN")) options.auth_token = token;
  cairn::Client client(options);

  // Keys and values are bytes: this value holds a NUL.
  const std::string value("hello\0world", 11);
  cairn::Result<uint64_t> put = client.Put("example:greeting", value);
  if (!put.ok()) return Fail("PUT", put.status());
  std::cout << "put version " << put.value() << "\n";

  cairn::Result<std::optional<cairn::Versioned>> got = client.Get("example:greeting");
  if (!got.ok()) return Fail("GET", got.status());
  if (!got.value() || got.value()->value != value) {
    std::cerr << "GET returned something else\n";
    return 1;
  }
  std::cout << "got " << got.value()->value.size() << " bytes at version " << got.value()->version
            << "\n";

  // A compare-and-swap on the version just read: applies at most once.
  cairn::Result<cairn::CondResult> cas =
      client.Cas("example:greeting", got.value()->version, "hello again");
  if (!cas.ok()) return Fail("CAS", cas.status());
  std::cout << "cas applied " << cas.value().applied << "\n";

  cairn::Result<cairn::IncrResult> counter = client.Incr("example:counter", 5);
  if (!counter.ok()) return Fail("INCR", counter.status());
  std::cout << "counter " << counter.value().value << "\n";

  cairn::WriteBatch batch;
  batch.Put("example:a", "1").Put("example:b", "2").Del("example:counter");
  cairn::Result<uint64_t> committed = client.Batch(batch);
  if (!committed.ok()) return Fail("BATCH", committed.status());

  // A bulk load: 1000 PUTs written without waiting for each answer.
  size_t failed = 0;
  cairn::Pipeline pipeline(&client, [&failed](cairn::protocol::Response answer) {
    if (!cairn::ReadVersionReply(answer).ok()) ++failed;
  });
  for (int i = 0; i < 1000; ++i) {
    cairn::Status added = pipeline.Add(cairn::PutRequest("bulk:" + std::to_string(i), "v"));
    if (!added.ok()) return Fail("pipeline", added);
  }
  if (cairn::Status finished = pipeline.Finish(); !finished.ok() || failed > 0) {
    return Fail("pipeline", finished);
  }
  std::cout << "pipelined " << pipeline.answered() << " puts\n";

  int keys = 0;
  cairn::ScanIterator it = client.Scan(cairn::ScanRange::Prefix("example:"));
  for (; it.Valid(); it.Next()) {
    std::cout << "scan " << it.key() << " (" << it.value().size() << " bytes)\n";
    ++keys;
  }
  if (!it.status().ok()) return Fail("SCAN", it.status());

  cairn::Result<nlohmann::json> stats = client.Stats();
  if (!stats.ok()) return Fail("STATS", stats.status());
  std::cout << "scanned " << keys << " keys; server holds " << stats.value()["keys"] << " keys\n";
  return 0;
}
