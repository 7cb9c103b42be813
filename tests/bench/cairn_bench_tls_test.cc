// cairn-bench over TLS against a real cairnd --tls-port (certificates from
// the openssl command at test time): every request is answered and lands in
// the store, a client certificate is sent when the server requires one, and
// a server the --cacert does not vouch for stops the run with a clear error.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "client/client.h"
#include "tests/client/process.h"
#include "tests/common/test_certs.h"
#include "tests/common/unused_port.h"
#include "tests/server/cairnd_process.h"

namespace cairn::bench {
namespace {

using client_test::EnvironmentWith;
using client_test::RunOutput;
using client_test::RunProcess;

class CairnBenchTlsTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::MakeTestPki(pki_.path()));
    server_ = std::make_unique<server_test::CairndProcess>(
        dir_.path(), std::vector<std::string>{
                         "--fsync", "never", "--tls-port", std::to_string(tls_port_),
                         "--tls-cert-file", pki_.file("server.pem"), "--tls-key-file",
                         pki_.file("server.key"), "--tls-ca-cert-file", pki_.file("ca.pem")});
    ASSERT_TRUE(server_->Start());
  }

  // cairn-bench -p TLS_PORT --tls --cacert CA --cert ... args.
  RunOutput Bench(const std::string& ca, std::vector<std::string> args) {
    args.insert(args.begin(), {CAIRN_BENCH_PATH, "-p", std::to_string(tls_port_), "--tls",
                               "--cacert", pki_.file(ca), "--cert", pki_.file("client.pem"),
                               "--key", pki_.file("client.key")});
    return RunProcess(args, EnvironmentWith({{"CAIRN_AUTH_TOKEN", std::nullopt}}));
  }

  void TearDown() override {
    if (HasFailure() && server_) std::cerr << "--- cairnd log ---\n" << server_->LogTail() << "\n";
  }

  test::TempDir dir_;
  test::TempDir pki_;
  const uint16_t tls_port_ = test::UnusedPort();
  std::unique_ptr<server_test::CairndProcess> server_;
};

TEST_F(CairnBenchTlsTest, PipelinedPutsOverTlsAllLand) {
  RunOutput run = Bench("ca.pem", {"-t", "put,get", "-n", "4000", "-c", "4", "-P", "16", "-r",
                                   "1000000", "-d", "100", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json report = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << run.out;
  EXPECT_EQ(report["results"][0]["requests"], 4000) << run.out;
  EXPECT_EQ(report["results"][0]["errors"], 0) << run.out;

  ClientOptions options;  // the plain port sees what came over TLS
  options.port = server_->port();
  Client client(options);
  Result<nlohmann::json> stats = client.Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_GT(stats.value().at("keys").get<uint64_t>(), 3000u) << stats.value().dump();
}

TEST_F(CairnBenchTlsTest, AnUntrustedServerStopsTheRun) {
  RunOutput run = Bench("other_ca.pem", {"-t", "ping", "-n", "10", "-c", "1"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("TLS handshake failed"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("certificate verify failed"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace cairn::bench
