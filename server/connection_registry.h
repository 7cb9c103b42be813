// ConnectionRegistry: the live connections, so that shutdown can reach them
// all, and which of them have yet to authenticate, oldest first, so that a
// flood of those can be bounded by closing the oldest. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace cairn::server {

class Connection;

class ConnectionRegistry {
 public:
  // Returns the connection's id; ids grow in the order of Add.
  uint64_t Add(std::weak_ptr<Connection> connection, bool authenticated) {
    std::lock_guard lock(mu_);
    const uint64_t id = next_id_++;
    if (!authenticated) unauthenticated_[id] = connection;
    connections_[id] = std::move(connection);
    return id;
  }
  void Remove(uint64_t id) {
    std::lock_guard lock(mu_);
    connections_.erase(id);
    unauthenticated_.erase(id);
  }
  void MarkAuthenticated(uint64_t id) {
    std::lock_guard lock(mu_);
    unauthenticated_.erase(id);
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return connections_.size();
  }
  size_t unauthenticated() const {
    std::lock_guard lock(mu_);
    return unauthenticated_.size();
  }
  // Removes the oldest connection yet to authenticate from that set and
  // returns it; null when there is none or it is being destroyed.
  std::shared_ptr<Connection> TakeOldestUnauthenticated() {
    std::lock_guard lock(mu_);
    if (unauthenticated_.empty()) return nullptr;
    auto oldest = unauthenticated_.begin();
    std::shared_ptr<Connection> connection = oldest->second.lock();
    unauthenticated_.erase(oldest);
    return connection;
  }
  void ForEach(const std::function<void(const std::shared_ptr<Connection>&)>& f) const {
    std::vector<std::shared_ptr<Connection>> live;
    {
      std::lock_guard lock(mu_);
      for (const auto& [id, weak] : connections_) {
        if (auto c = weak.lock()) live.push_back(std::move(c));
      }
    }
    for (const auto& c : live) f(c);
  }

 private:
  mutable std::mutex mu_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> connections_;
  std::map<uint64_t, std::weak_ptr<Connection>> unauthenticated_;  // by id: oldest first
};

}  // namespace cairn::server
