// OpenListener: binds and listens an acceptor on address:port, as both of
// cairnd's listeners (the data port and the metrics port) do; and IsLoopback,
// which decides who they consider local.
#pragma once

#include <cstdint>
#include <string>

#include "server/asio.h"

namespace cairn::server {

// False with *error (naming bind_flag for a bad address) on failure.
bool OpenListener(boost::asio::ip::tcp::acceptor* acceptor, const std::string& address,
                  uint16_t port, const std::string& bind_flag, std::string* error);

// 127.0.0.0/8, ::1, and IPv4 loopback mapped into IPv6 (::ffff:127.0.0.1, as
// a dual-stack listener sees it).
bool IsLoopback(const boost::asio::ip::address& address);

}  // namespace cairn::server
