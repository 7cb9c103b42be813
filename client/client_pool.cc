#include "client/client_pool.h"

#include <utility>

namespace cairn {

ClientPool::Lease::Lease(ClientPool* pool, std::unique_ptr<Client> client)
    : pool_(pool), client_(std::move(client)) {}

ClientPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), client_(std::move(other.client_)) {}

ClientPool::Lease& ClientPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (client_ != nullptr) pool_->Release(std::move(client_));
    pool_ = other.pool_;
    client_ = std::move(other.client_);
  }
  return *this;
}

ClientPool::Lease::~Lease() {
  if (client_ != nullptr) pool_->Release(std::move(client_));
}

ClientPool::ClientPool(ClientOptions options, size_t max_idle)
    : options_(std::move(options)), max_idle_(max_idle) {}

ClientPool::Lease ClientPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Client> client = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(client));
    }
  }
  return Lease(this, std::make_unique<Client>(options_));
}

size_t ClientPool::idle() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return idle_.size();
}

void ClientPool::Release(std::unique_ptr<Client> client) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.size() < max_idle_) {
      idle_.push_back(std::move(client));
      return;
    }
  }
  // The pool is full: client goes out of scope here, closing its connection
  // outside the lock.
}

}  // namespace cairn
