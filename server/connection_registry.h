// ConnectionRegistry: the live connections, so that shutdown can reach them
// all. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace cairn::server {

class Connection;

class ConnectionRegistry {
 public:
  uint64_t Add(std::weak_ptr<Connection> connection) {
    std::lock_guard lock(mu_);
    connections_[next_id_] = std::move(connection);
    return next_id_++;
  }
  void Remove(uint64_t id) {
    std::lock_guard lock(mu_);
    connections_.erase(id);
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return connections_.size();
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
};

}  // namespace cairn::server
