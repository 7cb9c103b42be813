// The client library and cairn-cli over TLS against a real cairnd with
// --tls-port: PUT/GET and a pipeline, client certificates, verification of
// the server's chain and name (a wrong CA or name is a clear connect error),
// --insecure, and a server that closes. Certificates come from the openssl
// command at test time (tests/common/test_certs.h).
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "client/pipeline.h"
#include "client/reply.h"
#include "client/requests.h"
#include "tests/client/cli_test_util.h"
#include "tests/common/test_certs.h"
#include "tests/common/unused_port.h"

namespace cairn::client_test {
namespace {

class TlsClientTest : public ClientTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::MakeTestPki(pki_.path()));
    ASSERT_NO_FATAL_FAILURE(StartServer(TlsFlags("yes")));
  }

  std::vector<std::string> TlsFlags(const std::string& auth_clients) const {
    return {"--tls-port",         std::to_string(tls_port_),
            "--tls-cert-file",    pki_.file("server.pem"),
            "--tls-key-file",     pki_.file("server.key"),
            "--tls-ca-cert-file", pki_.file("ca.pem"),
            "--tls-auth-clients", auth_clients};
  }

  ClientOptions TlsOptions() const {
    ClientOptions options = Options();
    options.port = tls_port_;
    options.tls.enabled = true;
    options.tls.ca_file = pki_.file("ca.pem");
    options.tls.cert_file = pki_.file("client.pem");
    options.tls.key_file = pki_.file("client.key");
    return options;
  }

  TempDir pki_;
  const uint16_t tls_port_ = test::UnusedPort();
};

TEST_F(TlsClientTest, PutGetAndAPipelineOverTls) {
  Client client(TlsOptions());
  Result<uint64_t> put = client.Put("k", Nasty());
  ASSERT_TRUE(Ok(put));
  Result<std::optional<Versioned>> got = client.Get("k");
  ASSERT_TRUE(Ok(got));
  ASSERT_TRUE(got.value().has_value());
  EXPECT_EQ(got.value()->value, Nasty());

  // Enough pipelined bytes to fill the socket buffers both ways: the TLS
  // layer must read answers while its writes wait.
  constexpr int kCount = 20000;
  const std::string value(200, 'v');
  std::vector<protocol::Response> answers;
  Pipeline pipeline(&client, [&](protocol::Response r) { answers.push_back(std::move(r)); });
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(Ok(pipeline.Add(PutRequest("key:" + std::to_string(i), value))));
  }
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(Ok(pipeline.Add(GetRequest("key:" + std::to_string(i)))));
  }
  ASSERT_TRUE(Ok(pipeline.Finish()));
  ASSERT_EQ(answers.size(), 2u * kCount);
  for (int i = 0; i < kCount; ++i) {
    Result<std::optional<Versioned>> read = ReadGetReply(answers[kCount + i]);
    ASSERT_TRUE(Ok(read));
    ASSERT_TRUE(read.value().has_value());
    ASSERT_EQ(read.value()->value, value);
  }

  // The plain port sees the same store.
  Client plain(Options());
  Result<std::optional<Versioned>> plain_got = plain.Get("k");
  ASSERT_TRUE(Ok(plain_got));
  EXPECT_TRUE(plain_got.value().has_value());
}

TEST_F(TlsClientTest, AnIdleConnectionIsReusedNotTakenForStale) {
  // TLS 1.3 servers send session tickets after the handshake: bytes the
  // client never asked for, which must not make the connection look stale.
  Client client(TlsOptions());
  ASSERT_TRUE(Ok(client.Ping()));
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(Ok(client.Ping()));
  Result<nlohmann::json> stats = client.Stats();
  ASSERT_TRUE(Ok(stats));
  EXPECT_EQ(stats.value()["connections_total"], 1) << stats.value().dump();
}

TEST_F(TlsClientTest, AWrongCaIsAClearConnectError) {
  ClientOptions options = TlsOptions();
  options.tls.ca_file = pki_.file("other_ca.pem");
  Client client(options);
  Status status = client.Ping();
  EXPECT_EQ(status.code(), Code::kConnectFailed) << status;
  EXPECT_NE(status.message().find("certificate verify failed"), std::string::npos) << status;

  options.tls.verify = false;  // --insecure: encrypted, unverified
  Client insecure(options);
  EXPECT_TRUE(Ok(insecure.Ping()));
}

TEST_F(TlsClientTest, TheServerNameIsVerified) {
  ClientOptions options = TlsOptions();
  options.tls.server_name = "cairn.example.com";  // not in the certificate
  Client wrong(options);
  Status status = wrong.Ping();
  EXPECT_EQ(status.code(), Code::kConnectFailed) << status;
  EXPECT_NE(status.message().find("hostname mismatch"), std::string::npos) << status;

  options.tls.server_name = "localhost";  // in subjectAltName
  Client right(options);
  EXPECT_TRUE(Ok(right.Ping()));
}

TEST_F(TlsClientTest, WithoutAClientCertificateTheServerRefuses) {
  ClientOptions options = TlsOptions();
  options.tls.cert_file.clear();
  options.tls.key_file.clear();
  Client client(options);
  Status status = client.Ping();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("certificate required"), std::string::npos) << status;
}

TEST_F(TlsClientTest, PlainClientOnTheTlsPortFailsCleanly) {
  ClientOptions options = Options();
  options.port = tls_port_;
  options.io_timeout = 2s;
  Client client(options);
  Status status = client.Ping();
  EXPECT_FALSE(status.ok());
}

class TlsCliTest : public CliTest {};

TEST_F(TlsCliTest, OneShotCommandsOverTls) {
  TempDir pki;
  ASSERT_TRUE(test::MakeTestPki(pki.path()));
  const uint16_t tls_port = test::UnusedPort();
  server_.reset();
  ASSERT_NO_FATAL_FAILURE(StartServer({"--tls-port", std::to_string(tls_port), "--tls-cert-file",
                                       pki.file("server.pem"), "--tls-key-file",
                                       pki.file("server.key"), "--tls-auth-clients", "no"}));
  auto tls_cli = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {
        CAIRN_CLI_PATH,           "-h",    "127.0.0.1", "-p",
        std::to_string(tls_port), "--tls", "--cacert",  pki.file("ca.pem")};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, CliEnvironment(), "");
  };
  RunOutput put = tls_cli({"PUT", "greeting", "hello"});
  EXPECT_EQ(put.exit_code, 0) << Describe(put);
  RunOutput get = tls_cli({"GET", "greeting"});
  EXPECT_EQ(get.exit_code, 0) << Describe(get);
  EXPECT_EQ(get.out, "hello\n") << Describe(get);

  RunOutput wrong_ca =
      RunProcess({CAIRN_CLI_PATH, "-h", "127.0.0.1", "-p", std::to_string(tls_port), "--tls",
                  "--cacert", pki.file("other_ca.pem"), "PING"},
                 CliEnvironment(), "");
  EXPECT_EQ(wrong_ca.exit_code, 2) << Describe(wrong_ca);
  EXPECT_NE(wrong_ca.err.find("certificate verify failed"), std::string::npos)
      << Describe(wrong_ca);

  RunOutput without_tls = RunCli({"--cacert", pki.file("ca.pem"), "PING"});
  EXPECT_EQ(without_tls.exit_code, 2) << Describe(without_tls);
  EXPECT_NE(without_tls.err.find("--tls"), std::string::npos) << Describe(without_tls);
}

}  // namespace
}  // namespace cairn::client_test
