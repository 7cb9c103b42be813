// Result<T>: either a value or an Error, the way every fallible function in
// cairn::protocol reports failure (nothing here throws). An Error carries the
// wire status to answer with and a human-readable message for the client.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "protocol/codes.h"

namespace cairn::protocol {

struct Error {
  StatusCode status = StatusCode::kBadRequest;
  std::string message;

  friend bool operator==(const Error&, const Error&) = default;
};

template <typename T>
class Result {
 public:
  // Implicit on purpose, so a function can `return value;` or `return error;`.
  Result(T value) : state_(std::move(value)) {}      // NOLINT(runtime/explicit)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(runtime/explicit)

  bool ok() const { return state_.index() == 0; }

  // REQUIRES: ok().
  const T& value() const& { return std::get<0>(state_); }
  T& value() & { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }

  // REQUIRES: !ok().
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

}  // namespace cairn::protocol
