// OpenListener: binds and listens an acceptor on address:port, as both of
// cairnd's listeners (the data port and the metrics port) do.
#pragma once

#include <cstdint>
#include <string>

#include "server/asio.h"

namespace cairn::server {

// False with *error (naming bind_flag for a bad address) on failure.
bool OpenListener(boost::asio::ip::tcp::acceptor* acceptor, const std::string& address,
                  uint16_t port, const std::string& bind_flag, std::string* error);

}  // namespace cairn::server
