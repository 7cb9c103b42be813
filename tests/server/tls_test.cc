// TLS on the real cairnd (--tls-port and friends): both protocol modes over
// TLS, client certificates (yes, optional, no), what a client that trusts
// another CA sees, TLS 1.1 refused, the certificate reloaded on SIGHUP
// without touching open connections, a TLS-only server, TLS spoken to the
// plain port, the handshake deadline, and the startup refusals. Certificates
// are made with the openssl command at test time (tests/common/test_certs.h).
#include <gtest/gtest.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "protocol/response.h"
#include "tests/common/test_certs.h"
#include "tests/common/unused_port.h"
#include "tests/server/server_test_util.h"
#include "tests/server/tls_test_client.h"

namespace cairn::server_test {
namespace {

using protocol::Response;

struct CommandRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs a shell command (for at most 10 s), its stdin from printf's format
// `input` ("PING\\n").
CommandRun RunShell(const std::string& command, const std::string& input = "") {
  const std::string line = "printf '" + input + "' | timeout 10 " + command + " 2>&1";
  CommandRun run;
  FILE* pipe = popen(line.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) run.output.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// The TCP ports process pid listens on (from /proc: its socket inodes, and
// the listening sockets of /proc/net/tcp and tcp6).
std::set<uint16_t> ListeningPorts(pid_t pid) {
  std::set<std::string> inodes;
  for (const auto& fd :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code ec;
    const std::string target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (!ec && target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::set<uint16_t> ports;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      if (state != "0A" || inodes.count(inode) == 0) continue;  // 0A: LISTEN
      ports.insert(
          static_cast<uint16_t>(std::stoul(local.substr(local.find(':') + 1), nullptr, 16)));
    }
  }
  return ports;
}

class TlsTest : public CairndTest {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(pki_dir_);
    ASSERT_TRUE(test::MakeTestPki(pki_dir_));
  }

  std::string pki(const std::string& name) const { return pki_dir_ + "/" + name; }

  std::vector<std::string> TlsFlags(const std::string& auth_clients = "yes") const {
    return {"--tls-port",         std::to_string(tls_port_),
            "--tls-cert-file",    pki("server.pem"),
            "--tls-key-file",     pki("server.key"),
            "--tls-ca-cert-file", pki("ca.pem"),
            "--tls-auth-clients", auth_clients};
  }

  TlsClientFiles WithClientCert() const {
    return {pki("ca.pem"), pki("client.pem"), pki("client.key")};
  }
  TlsClientFiles WithoutClientCert() const { return {pki("ca.pem"), "", ""}; }

  void ConnectTls(TlsTestClient* client, const TlsClientFiles& files) {
    ASSERT_TRUE(client->Connect(tls_port_, files)) << client->error();
  }

  // A client with files connects and its PING is answered.
  void ExpectServed(const TlsClientFiles& files) {
    TlsTestClient client;
    ASSERT_NO_FATAL_FAILURE(ConnectTls(&client, files));
    std::optional<Response> ping = client.Call(PingRequest());
    ASSERT_TRUE(ping) << client.error();
    EXPECT_EQ(*ping, Response::Ok());
  }

  // A client certificate from a CA the server does not trust is not served;
  // returns what the client saw.
  std::string ExpectRogueCertificateRefused() {
    EXPECT_TRUE(test::MakeCert(pki_dir_, "rogue", "other_ca"));
    TlsTestClient rogue;
    if (rogue.Connect(tls_port_, {pki("ca.pem"), pki("rogue.pem"), pki("rogue.key")})) {
      EXPECT_FALSE(rogue.Call(PingRequest())) << "served a certificate of an unknown CA";
    }
    return rogue.error();
  }

  // s_client's arguments to reach the TLS port with the client certificate.
  std::string SClient(const std::string& extra = "") const {
    return "openssl s_client -quiet -connect 127.0.0.1:" + std::to_string(tls_port_) + " -CAfile " +
           pki("ca.pem") + " -cert " + pki("client.pem") + " -key " + pki("client.key") + " " +
           extra;
  }

  // Waits up to 5 s for `text` in cairnd's log.
  bool LogShows(const std::string& text) {
    for (int i = 0; i < 500; ++i) {
      if (server_->Log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  const std::string pki_dir_ = dir_.file("pki");
  const uint16_t tls_port_ = test::UnusedPort();
};

TEST_F(TlsTest, BinaryModeOverTlsSharesTheStoreWithThePlainPort) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsFlags()));
  TlsTestClient tls;
  ASSERT_NO_FATAL_FAILURE(ConnectTls(&tls, WithClientCert()));
  EXPECT_EQ(tls.Version(), "TLSv1.3");
  std::optional<Response> put = tls.Call(PutRequest("k", std::string("v\0w", 3)));
  ASSERT_TRUE(put) << tls.error();
  EXPECT_EQ(*put, Response::OkVersion(1));
  std::optional<Response> get = tls.Call(GetRequest("k"));
  ASSERT_TRUE(get) << tls.error();
  EXPECT_EQ(*get, Response::OkValue(std::string("v\0w", 3), 1));

  TestClient plain;
  ASSERT_NO_FATAL_FAILURE(Connect(&plain));
  EXPECT_EQ(Call(&plain, GetRequest("k")), Response::OkValue(std::string("v\0w", 3), 1));
}

TEST_F(TlsTest, TextModeOverTlsWithSClient) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsFlags()));
  const CommandRun run = RunShell(SClient(), "PUT greeting hello\\nGET greeting\\nQUIT\\n");
  EXPECT_NE(run.output.find("OK 1\nOK 1 \"hello\"\nOK\n"), std::string::npos) << run.output;

  TlsTestClient tls;  // and text mode from the in-process client
  ASSERT_NO_FATAL_FAILURE(ConnectTls(&tls, WithClientCert()));
  ASSERT_TRUE(tls.SendRaw("GET greeting\n"));
  std::optional<std::string> line = tls.ReadLine();
  ASSERT_TRUE(line) << tls.error();
  EXPECT_EQ(*line, "OK 1 \"hello\"");
}

TEST_F(TlsTest, AuthClientsYesRefusesAClientWithoutCertificate) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsFlags("yes")));
  TlsTestClient without;
  // TLS 1.3: the client's handshake ends before the server judges it.
  if (without.Connect(tls_port_, WithoutClientCert())) {
    EXPECT_FALSE(without.Call(PingRequest())) << "served without a client certificate";
  }
  EXPECT_NE(without.error().find("certificate required"), std::string::npos) << without.error();
  EXPECT_TRUE(LogShows("TLS handshake failed: peer did not return a certificate"));

  // A certificate from a CA the server does not trust is refused too.
  const std::string rogue_error = ExpectRogueCertificateRefused();
  EXPECT_NE(rogue_error.find("unknown ca"), std::string::npos) << rogue_error;

  ExpectServed(WithClientCert());
}

TEST_F(TlsTest, AuthClientsOptionalServesBothButVerifiesWhatItGets) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsFlags("optional")));
  ExpectServed(WithoutClientCert());
  ExpectServed(WithClientCert());
  ExpectRogueCertificateRefused();
}

TEST_F(TlsTest, AuthClientsNoNeedsNoCa) {
  ASSERT_NO_FATAL_FAILURE(
      StartServer({"--tls-port", std::to_string(tls_port_), "--tls-cert-file", pki("server.pem"),
                   "--tls-key-file", pki("server.key"), "--tls-auth-clients", "no"}));
  ExpectServed(WithoutClientCert());
}

TEST_F(TlsTest, AClientTrustingAnotherCaFailsVerification) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsFlags()));
  TlsTestClient client;
  EXPECT_FALSE(
      client.Connect(tls_port_, {pki("other_ca.pem"), pki("client.pem"), pki("client.key")}));
  EXPECT_NE(client.error().find("certificate verify failed"), std::string::npos) << client.error();
}

TEST_F(TlsTest, Tls11IsRefusedAndTls12Served) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsFlags()));
  // SECLEVEL=0 lets the client offer TLS 1.1: the refusal must be the server's.
  const CommandRun old = RunShell(SClient("-tls1_1 -cipher DEFAULT@SECLEVEL=0"), "PING\\n");
  EXPECT_NE(old.exit_code, 0) << old.output;
  EXPECT_EQ(old.output.find("OK"), std::string::npos) << old.output;
  EXPECT_TRUE(LogShows("TLS handshake failed: unsupported protocol"));
  const CommandRun tls12 = RunShell(SClient("-tls1_2"), "PING\\nQUIT\\n");
  EXPECT_NE(tls12.output.find("OK\nOK\n"), std::string::npos) << tls12.output;
}

TEST_F(TlsTest, SighupReloadsTheCertificateForNewConnectionsOnly) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsFlags()));
  const std::string old_pem = ReadWholeFile(pki("server.pem"));
  TlsTestClient before;
  ASSERT_NO_FATAL_FAILURE(ConnectTls(&before, WithClientCert()));
  EXPECT_EQ(before.ServerCertificatePem(), old_pem);

  // A new certificate and key from the same CA replace the files.
  ASSERT_TRUE(test::MakeCert(pki_dir_, "server2", "ca"));
  const std::string new_pem = ReadWholeFile(pki("server2.pem"));
  ASSERT_NE(new_pem, old_pem);
  std::filesystem::rename(pki("server2.pem"), pki("server.pem"));
  std::filesystem::rename(pki("server2.key"), pki("server.key"));
  server_->Signal(SIGHUP);
  // The log line names the new certificate by its SHA-256 fingerprint.
  const CommandRun fingerprint =
      RunShell("openssl x509 -noout -fingerprint -sha256 -in " + pki("server.pem"));
  const size_t equals = fingerprint.output.find('=');
  ASSERT_NE(equals, std::string::npos) << fingerprint.output;
  const std::string sha256 = fingerprint.output.substr(equals + 1, 95);
  ASSERT_TRUE(LogShows("TLS certificate " + pki("server.pem") + " (SHA-256 " + sha256 + ")"));

  TlsTestClient after;
  ASSERT_NO_FATAL_FAILURE(ConnectTls(&after, WithClientCert()));
  EXPECT_EQ(after.ServerCertificatePem(), new_pem);
  // The connection made before the reload keeps working.
  std::optional<Response> put = before.Call(PutRequest("k", "v"));
  ASSERT_TRUE(put) << before.error();
  EXPECT_EQ(*put, Response::OkVersion(1));

  // A broken replacement keeps the certificate loaded last.
  std::ofstream(pki("server.pem"), std::ios::trunc) << "not a certificate\n";
  server_->Signal(SIGHUP);
  ASSERT_TRUE(LogShows("TLS reload failed, keeping the previous certificate: --tls-cert-file"));
  TlsTestClient later;
  ASSERT_NO_FATAL_FAILURE(ConnectTls(&later, WithClientCert()));
  EXPECT_EQ(later.ServerCertificatePem(), new_pem);
  std::optional<Response> get = later.Call(GetRequest("k"));
  ASSERT_TRUE(get) << later.error();
  EXPECT_EQ(*get, Response::OkValue("v", 1));
}

TEST_F(TlsTest, PortZeroLeavesOnlyTheTlsListener) {
  std::vector<std::string> flags = TlsFlags();
  flags.insert(flags.end(), {"--port", "0"});
  ASSERT_NO_FATAL_FAILURE(StartServer(flags));
  EXPECT_EQ(port(), tls_port_) << "the port file holds the TLS port when there is no plain one";
  EXPECT_EQ(ListeningPorts(server_->pid()), std::set<uint16_t>{tls_port_});
  EXPECT_TRUE(
      LogShows("cairnd listening on 127.0.0.1:" + std::to_string(tls_port_) + " (TLS) (data_dir="));
  TlsTestClient client;
  ASSERT_NO_FATAL_FAILURE(ConnectTls(&client, WithClientCert()));
  std::optional<Response> ping = client.Call(PingRequest());
  ASSERT_TRUE(ping) << client.error();
}

TEST_F(TlsTest, BothListenersWhenBothPortsAreSet) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsFlags()));
  EXPECT_EQ(ListeningPorts(server_->pid()), (std::set<uint16_t>{port(), tls_port_}));
}

TEST_F(TlsTest, ATlsClientHelloOnThePlainPortIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsFlags()));
  const CommandRun run =
      RunShell("openssl s_client -quiet -connect 127.0.0.1:" + std::to_string(port()), "PING\\n");
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_TRUE(LogShows("bad magic byte 0x16"));
  TestClient plain;  // the server is unharmed
  ASSERT_NO_FATAL_FAILURE(Connect(&plain));
  EXPECT_EQ(Call(&plain, PingRequest()), Response::Ok());
}

TEST_F(TlsTest, APeerThatNeverFinishesTheHandshakeIsClosed) {
  std::vector<std::string> flags = TlsFlags();
  flags.insert(flags.end(), {"--frame-timeout-ms", "300"});
  ASSERT_NO_FATAL_FAILURE(StartServer(flags));
  TestClient silent;  // plain TCP to the TLS port: never says hello
  ASSERT_TRUE(silent.Connect(tls_port_)) << silent.error();
  TestClient partial;  // half a ClientHello record header
  ASSERT_TRUE(partial.Connect(tls_port_)) << partial.error();
  ASSERT_TRUE(partial.SendRaw(std::string("\x16\x03\x01", 3)));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.WaitForClose(5s)) << silent.error();
  EXPECT_TRUE(partial.WaitForClose(5s)) << partial.error();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_TRUE(LogShows("TLS handshake not finished within 300 ms"));
}

// Refusals before anything is opened: exit 1, one line on stderr naming the
// flag (and the file).
TEST_F(TlsTest, StartupRefusalsNameTheFlag) {
  const std::string port = std::to_string(tls_port_);
  const std::string data = dir_.file("data");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--port", "0"}, "--port and --tls-port are both 0"},
      {{"--tls-port", port}, "--tls-port needs --tls-cert-file"},
      {{"--tls-port", port, "--tls-cert-file", pki("server.pem")},
       "--tls-port needs --tls-key-file"},
      {{"--tls-port", port, "--tls-cert-file", pki("server.pem"), "--tls-key-file",
        pki("server.key")},
       "--tls-auth-clients yes needs --tls-ca-cert-file"},
      {{"--tls-auth-clients", "maybe"}, "--tls-auth-clients must be yes, no or optional"},
      {{"--tls-port", port, "--tls-cert-file", pki("missing.pem"), "--tls-key-file",
        pki("server.key"), "--tls-auth-clients", "no"},
       "--tls-cert-file " + pki("missing.pem") + ": cannot read: No such file or directory"},
      {{"--tls-port", port, "--tls-cert-file", pki("server.csr"), "--tls-key-file",
        pki("server.key"), "--tls-auth-clients", "no"},
       "--tls-cert-file " + pki("server.csr") + ": no start line"},
      {{"--tls-port", port, "--tls-cert-file", pki("server.pem"), "--tls-key-file",
        pki("client.key"), "--tls-auth-clients", "no"},
       "--tls-key-file " + pki("client.key") + ": key values mismatch"},
      {{"--tls-port", port, "--tls-cert-file", pki("server.pem"), "--tls-key-file",
        pki("server.key"), "--tls-ca-cert-file", pki("server.key")},
       "--tls-ca-cert-file " + pki("server.key")},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"--data-dir", data};
    args.insert(args.end(), c.args.begin(), c.args.end());
    SCOPED_TRACE(testing::PrintToString(args));
    CairndRun run = RunCairnd(dir_.path(), args);
    ASSERT_TRUE(run.status) << "cairnd is still running";
    EXPECT_TRUE(run.status->exited && run.status->code == 1) << run.status->ToString();
    EXPECT_NE(run.err.find(c.message), std::string::npos) << "stderr: " << run.err;
  }
  EXPECT_FALSE(std::filesystem::exists(data)) << "refused before opening the data directory";
}

}  // namespace
}  // namespace cairn::server_test
