// Connection: one client's connection (plain TCP or TLS: transport.h), in binary or text mode
// (chosen by its first byte other than whitespace: protocol::ClassifyModeByte). Requests take
// effect in the order received and are answered in that order through a per-connection output
// queue:
// - consecutive writes go to the Writer together, so pipelined writes join
//   one group;
// - a read runs once every request before it has completed, so it sees the
//   writes sent before it on the same connection, and the writes after it
//   wait for it, so it does not see those.
// All of a connection's handlers run on its strand. Reading pauses while
// too much of its work is in flight or the writer is congested.
// Deadlines (Config): a request must arrive whole within frame_timeout_ms of
// its first byte; answers must make progress within write_timeout_ms; with a
// token, AUTH must succeed within auth_timeout_ms of accept, and until then
// the pre-auth limits of auth.h apply.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/frame_decoder.h"
#include "protocol/line_splitter.h"
#include "protocol/request.h"
#include "protocol/response.h"
#include "server/asio.h"
#include "server/transport.h"
#include "server/writer.h"

namespace cairn::server {

class RateLimiter;
class Service;
class Snapshotter;
class ConnectionRegistry;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using tcp = boost::asio::ip::tcp;
  using Clock = std::chrono::steady_clock;

  // Whether the server serves the connection, or answers its first request
  // with a refusal and closes it (or closes it after a second of silence).
  enum class Admission {
    kServe,
    kBusy,       // max_connections reached: BUSY
    kProtected,  // protected mode, no token, peer not on loopback: UNAUTHORIZED
  };

  Connection(std::shared_ptr<Transport> transport, Service* service, Writer* writer,
             Snapshotter* snapshotter, ConnectionRegistry* registry);
  ~Connection();

  void Start(Admission admission);
  // From any thread: stop reading, answer what was received, close.
  void Shutdown();
  // From any thread: close at once (a connection yet to authenticate that
  // a newer one displaces).
  void Evict();
  // Closes at once. REQUIRES: no handler of this connection runs or will
  // run (the event loop has stopped).
  void CloseNow() { Close(); }

 private:
  enum class Mode { kUnknown, kBinary, kText };
  // One request from arrival to answer. Slots start (a write is submitted,
  // a read runs, a snapshot is requested) strictly in order.
  struct Slot {
    enum class Kind { kDone, kRead, kWrite, kSnapshot };
    Kind kind = Kind::kDone;
    protocol::Request request;  // for a started write, only what answering needs
    std::optional<protocol::Response> response;
    uint64_t pending_bytes = 0;
  };

  void DoRead();
  // After the TLS handshake (at once for plain TCP): reads, or closes.
  void OnTransportStarted(const boost::system::error_code& ec);
  void OnRead(const boost::system::error_code& ec, std::string_view bytes);
  void Consume(std::string_view bytes);
  // Consumes bytes (none: what a pause left buffered), then hands the writes
  // to the writer and the answers to the transport, each in one go.
  void ConsumeAndSend(std::string_view bytes);
  void ConsumeBinary();
  void ConsumeText();
  // The refusal its Admission calls for. REQUIRES: admission_ != kServe.
  protocol::Response Refusal() const;
  void Dispatch(protocol::Request request);
  // True until AUTH succeeds, when a token is configured.
  bool pre_auth() const;
  // Raises the request limits from the pre-auth ones. REQUIRES: !pre_auth().
  void ApplyAuthenticatedLimits();
  // Answers AUTH; closes the connection at its kMaxAuthFailuresPerConnection-th
  // failure.
  void Authenticate(protocol::Request request);
  // Answers a request that needs AUTH first; detail is appended to the
  // message.
  void Unauthenticated(protocol::Request request, const std::string& detail = "");
  void Push(Slot::Kind kind, protocol::Request request);
  void PushDone(protocol::Request request, protocol::Response response);
  // Starts slot id; false if it must wait for the slots before it.
  bool StartSlot(uint64_t id);
  // Queues slot id's write for SubmitWrites.
  void SubmitWrite(uint64_t id, Slot* slot);
  void SubmitWrites();
  void RequestSnapshot(uint64_t id);
  // From any thread: slot_id's answer is ready.
  void Finish(uint64_t slot_id, protocol::Response response);
  // Moves the answers Finish collected into their slots, then pumps.
  void TakeFinished();
  // Starts what may start, answers what has finished, writes, reads on.
  void Pump();
  void DoWrite();
  void WriteSome();
  void MaybeFinish();
  void Close();
  void OnTimer();
  void ProtocolWarning(const std::string& what);
  // Logs "connection PEER: what" unless limiter holds it back.
  void Warn(RateLimiter* limiter, const std::string& what) const;
  bool ReadingPaused();
  // Bytes of work in flight and answers a connection may hold before reading
  // pauses: max_pending_bytes_per_connection, or kPreAuthMaxPendingBytes.
  uint64_t PendingBudget() const;
  // Answers not yet taken by the client fill the per-connection budget.
  bool OutputBacklogged() const;
  void StopReading();
  size_t buffered_input() const;
  Clock::duration TimerPeriod() const;

  const std::shared_ptr<Transport> transport_;
  boost::asio::steady_timer timer_;
  Service* const service_;
  Writer* const writer_;
  Snapshotter* const snapshotter_;
  ConnectionRegistry* const registry_;
  uint64_t id_ = 0;
  std::string peer_;

  Mode mode_ = Mode::kUnknown;
  std::optional<protocol::FrameDecoder> decoder_;
  std::optional<protocol::LineSplitter> splitter_;

  std::deque<Slot> slots_;
  uint64_t first_slot_id_ = 0;  // id of slots_.front()
  uint64_t next_to_start_ = 0;  // slots before it have started
  uint64_t pending_bytes_ = 0;  // held by slots in flight
  uint64_t writes_in_flight_ = 0;
  std::vector<Writer::Write> unsubmitted_;  // started, not yet handed to the writer

  std::mutex finished_mu_;  // Finish runs on other threads
  std::vector<std::pair<uint64_t, protocol::Response>> finished_;
  bool take_posted_ = false;  // a TakeFinished is queued on the strand
  std::string out_;           // encoded responses not yet handed to the socket
  std::string writing_;       // being written
  size_t written_ = 0;        // bytes of writing_ the transport has taken
  bool authenticated_ = false;
  uint32_t auth_failures_ = 0;

  Admission admission_ = Admission::kServe;
  bool reading_ = false;
  bool consuming_ = false;      // inside Consume: no new read may start
  bool input_waiting_ = false;  // Consume stopped at a pause with requests buffered
  bool read_closed_ = false;    // no more requests will be read
  bool waiting_for_writer_ = false;
  bool closed_ = false;
  Clock::time_point accepted_at_;
  std::optional<Clock::time_point> partial_since_;  // first byte of a request not yet whole
  Clock::time_point last_write_progress_;
  Clock::time_point last_activity_;
};

}  // namespace cairn::server
