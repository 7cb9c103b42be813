// GET /metrics against a real cairnd: the Prometheus text format, values
// that agree with STATS, and a listener that a stalled client cannot block.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "tests/common/unused_port.h"
#include "tests/server/server_test_util.h"

namespace cairn::server_test {
namespace {

int ConnectTo(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
}

struct HttpAnswer {
  std::string head;  // status line and headers
  std::string body;
};

// One HTTP/1.1 request; the answer as read until the server closes.
HttpAnswer HttpRequest(uint16_t port, const std::string& method, const std::string& path) {
  const int fd = ConnectTo(port);
  EXPECT_GE(fd, 0) << "cannot connect to the metrics port " << port;
  if (fd < 0) return {};
  const std::string request =
      method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string answer;
  char buf[65536];
  for (ssize_t n; (n = recv(fd, buf, sizeof(buf), 0)) > 0;) answer.append(buf, n);
  close(fd);
  const size_t end = answer.find("\r\n\r\n");
  if (end == std::string::npos) return {answer, ""};
  return {answer.substr(0, end), answer.substr(end + 4)};
}

// Sample lines of the exposition, by name with labels: "name{le=\"1\"}".
std::map<std::string, double> Samples(const std::string& body) {
  std::map<std::string, double> samples;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

class MetricsTest : public CairndTest {
 protected:
  void SetUp() override {
    metrics_port_ = test::UnusedPort();
    ASSERT_NO_FATAL_FAILURE(StartServer({"--metrics-port", std::to_string(metrics_port_)}));
    ASSERT_NO_FATAL_FAILURE(Connect(&client_));
  }

  uint16_t metrics_port_ = 0;
  TestClient client_;
};

TEST_F(MetricsTest, ExpositionAgreesWithStats) {
  for (int i = 0; i < 20; ++i) PutOk(&client_, "k" + std::to_string(i), "v");
  for (int i = 0; i < 5; ++i) Call(&client_, GetRequest("k" + std::to_string(i)));
  const protocol::Response stats_answer = Call(&client_, StatsRequest());
  ASSERT_EQ(stats_answer.fields.size(), 1u);
  const auto stats = nlohmann::json::parse(stats_answer.fields[0]);

  const HttpAnswer answer = HttpRequest(metrics_port_, "GET", "/metrics");
  EXPECT_EQ(answer.head.rfind("HTTP/1.1 200", 0), 0u) << answer.head;
  EXPECT_NE(answer.head.find("text/plain; version=0.0.4"), std::string::npos) << answer.head;
  EXPECT_NE(answer.body.find("# TYPE cairn_writes_committed_total counter\n"), std::string::npos);
  EXPECT_NE(answer.body.find("# TYPE cairn_log_fdatasync_seconds histogram\n"), std::string::npos);
  std::map<std::string, double> m = Samples(answer.body);

  // No write or sync happened between STATS and the scrape.
  EXPECT_EQ(m["cairn_keys"], 20);
  EXPECT_EQ(m["cairn_keys"], stats["keys"].get<double>());
  EXPECT_EQ(m["cairn_last_version"], stats["last_version"].get<double>());
  EXPECT_EQ(m["cairn_writes_committed_total"], stats["writes_committed"].get<double>());
  EXPECT_EQ(m["cairn_write_groups_total"], stats["write_groups"].get<double>());
  EXPECT_EQ(m["cairn_log_syncs_total"], stats["log_syncs"].get<double>());
  EXPECT_EQ(m["cairn_log_bytes"], stats["log_bytes"].get<double>());
  // Each group synced once (fsync always), each sync observed once.
  EXPECT_GE(m["cairn_log_fdatasync_seconds_count"], m["cairn_write_groups_total"]);
  EXPECT_EQ(m["cairn_log_fdatasync_seconds_count"], m["cairn_log_syncs_total"]);
  EXPECT_EQ(m["cairn_log_fdatasync_seconds_bucket{le=\"+Inf\"}"],
            m["cairn_log_fdatasync_seconds_count"]);
  EXPECT_GT(m["cairn_log_fdatasync_seconds_sum"], 0);
  EXPECT_EQ(m["cairn_commit_seconds_count"], 20);
  EXPECT_EQ(m["cairn_write_group_writes_count"], m["cairn_write_groups_total"]);
  EXPECT_EQ(m["cairn_write_group_writes_sum"], 20);
  EXPECT_EQ(m["cairn_reads_total"], 6);  // 5 GETs and the STATS
  EXPECT_EQ(m["cairn_connections"], 1);
  EXPECT_EQ(m["cairn_read_only"], 0);
  EXPECT_GT(m["process_resident_memory_bytes"], 1 << 20);
}

TEST_F(MetricsTest, OtherPathsAndMethodsAreRefused) {
  EXPECT_EQ(HttpRequest(metrics_port_, "GET", "/").head.rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(HttpRequest(metrics_port_, "POST", "/metrics").head.rfind("HTTP/1.1 405", 0), 0u);
  const HttpAnswer head = HttpRequest(metrics_port_, "HEAD", "/metrics");
  EXPECT_EQ(head.head.rfind("HTTP/1.1 200", 0), 0u) << head.head;
  EXPECT_TRUE(head.body.empty());
}

TEST_F(MetricsTest, AStalledScraperBlocksNeitherScrapesNorRequests) {
  const int stalled = ConnectTo(metrics_port_);
  ASSERT_GE(stalled, 0);
  ASSERT_EQ(send(stalled, "GET /met", 8, 0), 8);  // and never the rest
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(HttpRequest(metrics_port_, "GET", "/metrics").head.rfind("HTTP/1.1 200", 0), 0u);
  PutOk(&client_, "during", "stall");
  // Not a speed test: a listener that served one connection at a time would
  // answer only once the stalled one timed out, 5 s after it began.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  close(stalled);
}

}  // namespace
}  // namespace cairn::server_test
