// ClientPool: threads lease Clients, use them alone, and give them back.
#include "client/client_pool.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "tests/client/client_test_util.h"

namespace cairn::client_test {
namespace {

class ClientPoolTest : public ClientTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartServer({"--fsync", "never"})); }
};

TEST_F(ClientPoolTest, ThreadsShareThePoolSafely) {
  ClientPool pool(Options(), /*max_idle=*/4);
  constexpr int kThreads = 8;
  constexpr int kIncrements = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        ClientPool::Lease client = pool.Acquire();
        if (!client->Incr("counter").ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(pool.idle(), 4u);
  EXPECT_EQ(pool.Acquire()->Get("counter").value()->value, std::to_string(kThreads * kIncrements));
}

TEST_F(ClientPoolTest, ReturnedClientIsReusedWithItsConnection) {
  ClientPool pool(Options());
  { ASSERT_TRUE(Ok(pool.Acquire()->Ping())); }
  EXPECT_EQ(pool.idle(), 1u);
  {
    ClientPool::Lease client = pool.Acquire();
    EXPECT_EQ(pool.idle(), 0u);
    Result<nlohmann::json> stats = client->Stats();
    ASSERT_TRUE(Ok(stats));
    EXPECT_EQ(stats.value()["connections_total"], 1);
  }
  EXPECT_EQ(pool.idle(), 1u);
}

TEST_F(ClientPoolTest, KeepsAtMostMaxIdleClients) {
  ClientPool pool(Options(), /*max_idle=*/1);
  {
    ClientPool::Lease a = pool.Acquire();
    ClientPool::Lease b = pool.Acquire();
    ASSERT_TRUE(Ok(a->Ping()));
    ASSERT_TRUE(Ok(b->Ping()));
  }
  EXPECT_EQ(pool.idle(), 1u);
}

}  // namespace
}  // namespace cairn::client_test
