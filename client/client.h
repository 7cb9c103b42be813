// Client: one connection to a cairnd server, with a typed call for each
// request of docs/protocol.md. Keys and values are bytes (NUL, "\r\n", 0xFF and
// the empty string are ordinary): std::string_view in, std::string out.
// Nothing throws; every call returns a Status or a Result (status.h).
//
// Usage:
//   cairn::ClientOptions options;
//   options.port = 7070;
//   cairn::Client client(options);
//   cairn::Result<uint64_t> put = client.Put("greeting", "hello");
//   if (!put.ok()) return Fail(put.status().ToString());
//   cairn::Result<std::optional<cairn::Versioned>> got = client.Get("greeting");
//   if (got.ok() && got.value()) Print(got.value()->value, got.value()->version);
//
// Connections. The client connects on the first call (or on Connect()), and
// authenticates when ClientOptions::auth_token is set. Before each call, a
// connection that the server closed since the last one (restart, idle
// timeout) is replaced without error: nothing had been sent on it. A
// connection that fails during a call fails that call with a connection
// error and is dropped; the next call connects again and authenticates again
// (with the last token accepted by Auth()).
//
// Retry safety. After kConnectFailed nothing was sent: every call may be
// retried. After any other connection error (kConnectionLost, kTimeout,
// kProtocolError) the request may or may not have been executed:
// - Safe to retry: Ping, Get, Scan, Stats (reads), Snapshot (snapshots
//   again), Auth.
// - Safe to retry, applying at most once: Cas, and Del with an expected
//   version. If the lost attempt had applied, the retry answers
//   applied=false with the version the lost attempt wrote (unless another
//   writer got in between); Get tells which value is current.
// - Not safe to retry blindly: Put, Del without a version, Batch and Incr.
//   A Put or Batch whose answer was lost may have committed, and repeating
//   it can overwrite a newer write of another client; Incr would add twice.
//   To retry a write safely, make it a Cas on the version last read.
//
// Pipelines. While a Pipeline (pipeline.h) has a round open on this Client
// (from its first Add() to the end of its Finish()), the connection is the
// pipeline's: every call here, Connect() and Close() return kMisuse without
// sending or changing anything, and the pipeline goes on. Moving or
// destroying a Client detaches its pipelines (their calls return kMisuse);
// an open round ends, and its connection is closed if answers were pending.
//
// Thread safety. A Client is not thread-safe: use one Client per thread (or
// lock around it). Separate Clients share nothing. ClientPool
// (client_pool.h) hands Clients out to threads.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "client/options.h"
#include "client/reply.h"
#include "client/scan.h"
#include "client/status.h"
#include "client/write_batch.h"
#include "protocol/request.h"
#include "protocol/response.h"

namespace cairn {

class Connection;
class Pipeline;

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects now, if not connected, to report an unreachable server or a
  // refused token early; the calls below connect on their own otherwise.
  Status Connect();
  // Closes the connection; the next call opens a new one. kMisuse, closing
  // nothing, while a Pipeline is open on this Client.
  Status Close();

  const ClientOptions& options() const { return options_; }

  Status Ping();
  // The value and its version; nullopt when the key is absent.
  Result<std::optional<Versioned>> Get(std::string_view key);
  // The version of this write.
  Result<uint64_t> Put(std::string_view key, std::string_view value);
  // Deletes the key; applied=false (version 0) when it was absent.
  Result<CondResult> Del(std::string_view key);
  // Deletes the key only if its current version is expected_version;
  // otherwise applied=false with the current version (0 when absent).
  Result<CondResult> Del(std::string_view key, uint64_t expected_version);
  // Writes only if the key's current version is expected_version (0: only
  // if absent); otherwise applied=false with the current version.
  Result<CondResult> Cas(std::string_view key, uint64_t expected_version, std::string_view value);
  // Adds delta to the decimal integer stored at key (absent counts as 0).
  // kTypeError when the value is not a decimal i64 or the sum overflows.
  Result<IncrResult> Incr(std::string_view key, int64_t delta = 1);
  // Commits every operation of batch under one version, atomically.
  // kBadRequest, without sending, for an empty batch or one of more than
  // protocol::kMaxBatchOps operations.
  Result<uint64_t> Batch(const WriteBatch& batch);
  // Iterates over range, page_size entries per request (0: the server's
  // default). REQUIRES: this Client outlives the iterator.
  ScanIterator Scan(ScanRange range, uint32_t page_size = 0);
  // The server's STATS document (keys, last_version, connections, ...).
  Result<nlohmann::json> Stats();
  // Snapshots every shard now; the highest version the snapshots cover.
  Result<uint64_t> Snapshot();
  // Authenticates this connection. The token, once accepted, replaces
  // ClientOptions::auth_token for later reconnects.
  Status Auth(std::string_view token);

  // Sends any request and returns the server's answer, whatever its status
  // (a server error is an answer here, not a failure); the functions of
  // reply.h read it. An accepted AUTH is remembered as Auth() does. Every
  // call above goes through here, so each returns kMisuse, unsent, while a
  // Pipeline is open on this Client.
  // REQUIRES: request is valid for its opcode (protocol::EncodeRequest).
  Result<protocol::Response> Call(const protocol::Request& request);

 private:
  friend class Pipeline;

  // The open connection, opened (or replaced, when stale) as needed;
  // kMisuse while a pipeline round is open.
  Result<Connection*> Ready();
  // Opens pipeline's round: from here until EndRound() the connection is
  // the pipeline's and Ready() refuses every other caller, this one
  // included: kMisuse when a round is open already.
  Result<Connection*> BeginRound(const Pipeline* pipeline);
  // Ends the open round; its connection is dropped if answers are pending,
  // since nobody will read them.
  void EndRound();
  // Forgets a connection that failed; the next call opens a new one.
  void Drop();
  // Where this Client's pipelines find it: holds this Client until it is
  // moved or destroyed, then nullptr. Made on first use.
  const std::shared_ptr<Client*>& Anchor();
  // Empties the anchor: the pipelines holding it are detached.
  void DetachPipelines();

  ClientOptions options_;
  std::unique_ptr<Connection> connection_;
  const Pipeline* round_owner_ = nullptr;  // the pipeline whose round is open, if any
  std::shared_ptr<Client*> anchor_;
};

}  // namespace cairn
