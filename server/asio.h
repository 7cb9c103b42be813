// The one way server code includes Boost.Asio. Boost 1.74's
// asio/awaitable.hpp uses std::exchange without including <utility>, which
// g++ 12's standard headers no longer pull in transitively.
#pragma once

// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on
