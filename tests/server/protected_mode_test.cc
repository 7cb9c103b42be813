// Protected mode (--protected-mode yes, the default), as Redis has it: with
// no token configured, only peers on loopback are served; any other peer
// gets one UNAUTHORIZED answer naming protected mode, in the mode of its
// first bytes, and is closed. A token, or --protected-mode no, serves them.
// The peer here is this machine's own non-loopback address; the tests skip
// on a machine that has none.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <fstream>
#include <optional>
#include <string>

#include "protocol/response.h"
#include "tests/server/server_test_util.h"

namespace cairn::server_test {
namespace {

using protocol::Response;
using protocol::StatusCode;

// An IPv4 address of an interface that is up and not loopback.
std::optional<std::string> NonLoopbackAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<std::string> found;
  for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    if ((i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_LOOPBACK) != 0) continue;
    char text[INET_ADDRSTRLEN];
    const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) != nullptr) found = text;
  }
  freeifaddrs(list);
  return found;
}

class ProtectedModeTest : public CairndTest {
 protected:
  void SetUp() override {
    address_ = NonLoopbackAddress();
    if (!address_) GTEST_SKIP() << "this machine has no non-loopback IPv4 address";
  }
  std::optional<std::string> address_;
};

TEST_F(ProtectedModeTest, WithoutATokenOnlyLoopbackPeersAreServed) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--bind", "0.0.0.0"}));
  EXPECT_NE(server_->Log().find("in protected mode: only clients on loopback are served"),
            std::string::npos)
      << server_->LogTail();
  TestClient local;
  ASSERT_NO_FATAL_FAILURE(Connect(&local));
  EXPECT_EQ(Call(&local, PutRequest("k", "v")), Response::OkVersion(1));
  {
    SCOPED_TRACE("text");
    TestClient remote;
    ASSERT_TRUE(remote.Connect(*address_, server_->port())) << remote.error();
    ASSERT_TRUE(remote.SendRaw("GET k\n"));
    std::optional<std::string> line = remote.ReadLine();
    ASSERT_TRUE(line) << remote.error();
    EXPECT_EQ(line->rfind("UNAUTHORIZED DENIED cairnd is running in protected mode", 0), 0u)
        << *line;
    EXPECT_NE(line->find("--protected-mode no"), std::string::npos) << *line;
    EXPECT_TRUE(remote.WaitForClose(std::chrono::seconds(3))) << remote.error();
  }
  {
    SCOPED_TRACE("binary");
    TestClient remote;
    ASSERT_TRUE(remote.Connect(*address_, server_->port())) << remote.error();
    ASSERT_TRUE(remote.Send(WithId(GetRequest("k"), 6)));
    std::optional<Response> response = remote.ReadResponse();
    ASSERT_TRUE(response) << remote.error();
    EXPECT_EQ(response->status, StatusCode::kUnauthorized) << testing::PrintToString(*response);
    EXPECT_EQ(response->request_id, 6u);
    EXPECT_TRUE(remote.WaitForClose(std::chrono::seconds(3))) << remote.error();
  }
  EXPECT_EQ(Call(&local, GetRequest("k")), Response::OkValue("v", 1));
}

TEST_F(ProtectedModeTest, ProtectedModeNoServesEveryPeer) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--bind", "0.0.0.0", "--protected-mode", "no"}));
  TestClient remote;
  ASSERT_TRUE(remote.Connect(*address_, server_->port())) << remote.error();
  EXPECT_EQ(Call(&remote, PutRequest("k", "v")), Response::OkVersion(1));
}

TEST_F(ProtectedModeTest, WithATokenEveryPeerMayAuthenticate) {
  const std::string token = "protected-mode-token-01";
  const std::string token_file = dir_.file("token");
  std::ofstream(token_file) << token;
  ::chmod(token_file.c_str(), 0600);
  ASSERT_NO_FATAL_FAILURE(StartServer({"--bind", "0.0.0.0", "--auth-token-file", token_file}));
  TestClient remote;
  ASSERT_TRUE(remote.Connect(*address_, server_->port())) << remote.error();
  EXPECT_EQ(Call(&remote, AuthRequest(token)), Response::Ok());
  EXPECT_EQ(Call(&remote, PutRequest("k", "v")), Response::OkVersion(1));
}

}  // namespace
}  // namespace cairn::server_test
