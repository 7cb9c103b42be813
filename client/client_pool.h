// ClientPool: hands Clients to threads. A Client is single-threaded
// (client.h); a pool lets many threads share a few connections by leasing a
// Client for a stretch of work and giving it back. The pool is thread-safe;
// each leased Client is used by its holder alone.
//
// Usage:
//   cairn::ClientPool pool(options);
//   // on any thread:
//   cairn::ClientPool::Lease client = pool.Acquire();
//   cairn::Result<uint64_t> version = client->Put("k", "v");
//   // the Client returns to the pool when `client` goes out of scope
//
// Acquire() never blocks: it reuses an idle Client or makes a new one (which
// connects on its first call). At most max_idle returned Clients are kept;
// the rest are closed. A Client comes back as it is, connection and all; a
// broken connection is replaced by its next call (client.h).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "client/client.h"
#include "client/options.h"

namespace cairn {

class ClientPool {
 public:
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    // Gives the Client back to the pool.
    ~Lease();

    Client& operator*() const { return *client_; }
    Client* operator->() const { return client_.get(); }

   private:
    friend class ClientPool;
    Lease(ClientPool* pool, std::unique_ptr<Client> client);

    ClientPool* pool_;
    std::unique_ptr<Client> client_;
  };

  explicit ClientPool(ClientOptions options, size_t max_idle = 16);
  ClientPool(const ClientPool&) = delete;
  ClientPool& operator=(const ClientPool&) = delete;

  // REQUIRES: the pool outlives the Lease.
  Lease Acquire();

  // Clients waiting in the pool.
  size_t idle() const;

 private:
  void Release(std::unique_ptr<Client> client);

  const ClientOptions options_;
  const size_t max_idle_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Client>> idle_;  // guarded by mutex_
};

}  // namespace cairn
