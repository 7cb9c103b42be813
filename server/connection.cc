#include "server/connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cassert>

#include "protocol/text.h"
#include "server/auth.h"
#include "server/connection_registry.h"
#include "server/rate_limiter.h"
#include "server/service.h"
#include "server/snapshotter.h"
#include "server/writer.h"

namespace cairn::server {

namespace asio = boost::asio;
using protocol::Opcode;
using protocol::Request;
using protocol::Response;
using protocol::StatusCode;

namespace {

// Responses waiting for a client that does not read count against the
// connection's pending bytes; so do requests in flight. Past this many
// requests in flight, reading also pauses (bounds per-request overhead).
constexpr size_t kMaxSlots = 16384;
constexpr auto kRefusalGrace = std::chrono::seconds(1);

RateLimiter& ProtocolWarnings() {
  static RateLimiter limiter(10);
  return limiter;
}

// Failed AUTHs are logged each with its peer, but a guessing flood must not
// fill the disk: 10 lines a second across all connections.
RateLimiter& AuthFailureWarnings() {
  static RateLimiter limiter(10);
  return limiter;
}

}  // namespace

Connection::Connection(std::shared_ptr<Transport> transport, Service* service, Writer* writer,
                       Snapshotter* snapshotter, ConnectionRegistry* registry)
    : transport_(std::move(transport)),
      timer_(transport_->executor()),
      service_(service),
      writer_(writer),
      snapshotter_(snapshotter),
      registry_(registry) {
  peer_ = transport_->PeerName();
  accepted_at_ = last_activity_ = Clock::now();
}

Connection::~Connection() {
  if (id_ != 0) registry_->Remove(id_);
}

void Connection::Start(Admission admission) {
  admission_ = admission;
  id_ = registry_->Add(weak_from_this(), /*authenticated=*/!pre_auth());
  if (admission_ == Admission::kServe) service_->counters().connections++;
  asio::post(transport_->executor(), [self = shared_from_this()] {
    // TLS: the handshake gets as long as a request would.
    self->transport_->Start(
        std::chrono::milliseconds(self->service_->config().frame_timeout_ms),
        [self](const boost::system::error_code& ec) { self->OnTransportStarted(ec); });
    self->timer_.expires_after(self->admission_ != Admission::kServe ? kRefusalGrace
                                                                     : self->TimerPeriod());
    self->timer_.async_wait([self](const boost::system::error_code& ec) {
      if (!ec) self->OnTimer();
    });
  });
}

void Connection::OnTransportStarted(const boost::system::error_code& ec) {
  if (closed_) return;
  if (ec) {
    ProtocolWarning(transport_->StartError(ec));
    Close();
    return;
  }
  DoRead();
}

void Connection::Shutdown() {
  asio::post(transport_->executor(), [self = shared_from_this()] {
    if (self->closed_) return;
    self->StopReading();
    self->MaybeFinish();
  });
}

void Connection::Evict() {
  asio::post(transport_->executor(), [self = shared_from_this()] {
    if (self->closed_) return;
    spdlog::debug("connection {}: displaced by a newer connection yet to authenticate; closing",
                  self->peer_);
    self->Close();
  });
}

bool Connection::pre_auth() const { return service_->auth_required() && !authenticated_; }

// A quarter of the shortest deadline that applies, so that each is kept
// within a quarter of its length.
Connection::Clock::duration Connection::TimerPeriod() const {
  const Config& config = service_->config();
  std::chrono::milliseconds shortest(std::min(config.frame_timeout_ms, config.write_timeout_ms));
  if (config.idle_timeout_s > 0) {
    shortest =
        std::min<std::chrono::milliseconds>(shortest, std::chrono::seconds(config.idle_timeout_s));
  }
  if (pre_auth()) {
    shortest = std::min(shortest, std::chrono::milliseconds(config.auth_timeout_ms));
  }
  return std::clamp<Clock::duration>(shortest / 4, std::chrono::milliseconds(10),
                                     std::chrono::seconds(1));
}

size_t Connection::buffered_input() const {
  if (decoder_) return decoder_->buffered_bytes();
  if (splitter_) return splitter_->buffered_bytes();
  return 0;
}

uint64_t Connection::PendingBudget() const {
  return pre_auth() ? kPreAuthMaxPendingBytes : service_->config().max_pending_bytes_per_connection;
}

bool Connection::OutputBacklogged() const {
  return out_.size() + writing_.size() - written_ >= PendingBudget();
}

bool Connection::ReadingPaused() {
  if (pending_bytes_ + out_.size() + writing_.size() - written_ > PendingBudget() ||
      slots_.size() >= kMaxSlots) {
    return true;
  }
  if (writes_in_flight_ > 0 && writer_->congested()) {
    if (!waiting_for_writer_) {
      waiting_for_writer_ = true;
      writer_->NotifyWhenDrained([self = shared_from_this()] {
        asio::post(self->transport_->executor(), [self] {
          self->waiting_for_writer_ = false;
          self->DoRead();
        });
      });
    }
    return true;
  }
  return false;
}

void Connection::DoRead() {
  if (closed_ || reading_ || consuming_ || read_closed_ || ReadingPaused()) return;
  if (input_waiting_) {
    // Requests read before the pause come first; Consume reads on after them.
    input_waiting_ = false;
    ConsumeAndSend({});
    if (closed_ || read_closed_ || input_waiting_ || ReadingPaused()) return;
  }
  reading_ = true;
  // Before AUTH, a read takes no more than a request may hold, so what a
  // connection buffers stays within the pre-auth bound.
  transport_->ReadSome(
      pre_auth() ? kPreAuthMaxRequestBytes : Transport::kUnlimitedRead,
      [self = shared_from_this()](const boost::system::error_code& ec, std::string_view bytes) {
        self->OnRead(ec, bytes);
      });
}

void Connection::StopReading() {
  read_closed_ = true;
  if (reading_) transport_->ShutdownReceive();
}

void Connection::OnRead(const boost::system::error_code& ec, std::string_view bytes) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    // The client closed its side (or the socket failed): answer what it
    // sent, then close.
    read_closed_ = true;
    if (ec != asio::error::eof) {
      spdlog::debug("connection {}: read failed: {}", peer_, ec.message());
    }
    MaybeFinish();
    return;
  }
  if (read_closed_) return;  // shutting down: later input is not served
  last_activity_ = Clock::now();
  ConsumeAndSend(bytes);
  DoRead();
}

void Connection::ConsumeAndSend(std::string_view bytes) {
  // Consume may start writes and reads; none of them may start another
  // read of the socket until it is done.
  consuming_ = true;
  Consume(bytes);
  consuming_ = false;
  SubmitWrites();
  DoWrite();
}

void Connection::Consume(std::string_view bytes) {
  if (mode_ == Mode::kUnknown && bytes.empty()) return;
  if (mode_ == Mode::kUnknown) {
    while (!bytes.empty() && protocol::ClassifyModeByte(bytes[0]) == protocol::ModeByte::kSkip) {
      bytes.remove_prefix(1);
    }
    if (bytes.empty()) return;  // the mode is chosen by a later read
    if (protocol::ClassifyModeByte(bytes[0]) == protocol::ModeByte::kText) {
      mode_ = Mode::kText;
      splitter_.emplace(service_->config().max_frame_bytes);
      if (pre_auth()) splitter_->set_max_line_bytes(kPreAuthMaxRequestBytes, " before AUTH");
    } else {
      mode_ = Mode::kBinary;
      decoder_.emplace(protocol::kRequestMagic, service_->config().max_frame_bytes);
      if (pre_auth())
        decoder_->set_max_frame_bytes(kPreAuthMaxRequestBytes, "the limit before AUTH");
    }
  }
  if (admission_ != Admission::kServe) {
    service_->counters().connections_rejected++;
    Request request;
    if (mode_ == Mode::kBinary && bytes.size() >= protocol::kHeaderSize) {
      request.request_id =
          protocol::DecodeHeader(bytes.substr(0, protocol::kHeaderSize)).request_id;
    }
    StopReading();
    PushDone(std::move(request), Refusal());
    return;
  }
  if (mode_ == Mode::kText) {
    splitter_->Feed(bytes);
    ConsumeText();
  } else {
    decoder_->Feed(bytes);
    ConsumeBinary();
  }
  // A request cut by the end of what arrived starts its deadline now.
  if (buffered_input() == 0 || input_waiting_) {
    partial_since_.reset();
  } else if (!partial_since_) {
    partial_since_ = Clock::now();
  }
}

Response Connection::Refusal() const {
  assert(admission_ != Admission::kServe);
  const Config& config = service_->config();
  if (admission_ == Admission::kBusy) {
    return Response::Failure(StatusCode::kBusy, "server is at its connection limit (" +
                                                    std::to_string(config.max_connections) + ")");
  }
  return Response::Failure(
      StatusCode::kUnauthorized,
      "DENIED cairnd is running in protected mode: no auth token is configured and this client (" +
          peer_ +
          ") is not on loopback. Set a token with --auth-token-file and AUTH with it "
          "(docs/security.md), or, to serve every address without authentication, restart "
          "with --protected-mode no");
}

void Connection::ConsumeBinary() {
  protocol::Frame frame;
  while (!read_closed_) {
    if (ReadingPaused()) {
      input_waiting_ = buffered_input() > 0;
      return;
    }
    switch (decoder_->Next(&frame)) {
      case protocol::FrameDecoder::Event::kNeedMore:
        return;
      case protocol::FrameDecoder::Event::kFatal: {
        const protocol::FatalFrameError& fatal = decoder_->fatal_error();
        ProtocolWarning(fatal.error.message);
        Request request;
        request.request_id = fatal.request_id;
        StopReading();
        PushDone(std::move(request), Response::Failure(fatal.error.status, fatal.error.message));
        return;
      }
      case protocol::FrameDecoder::Event::kFrame: {
        partial_since_.reset();
        const auto opcode = static_cast<Opcode>(frame.header.code);
        if (pre_auth() && opcode != Opcode::kAuth && opcode != Opcode::kPing) {
          // Refused before its body is parsed.
          Request request;
          request.request_id = frame.header.request_id;
          Unauthenticated(std::move(request));
          break;
        }
        protocol::Result<Request> parsed =
            protocol::ParseRequest(frame.header, frame.body, service_->limits());
        if (!parsed.ok()) {
          service_->counters().protocol_errors++;
          Request request;
          request.request_id = frame.header.request_id;
          PushDone(std::move(request),
                   Response::Failure(parsed.error().status, parsed.error().message));
        } else {
          Dispatch(std::move(parsed).value());
        }
        break;
      }
    }
  }
}

void Connection::ConsumeText() {
  std::string_view line;
  while (!read_closed_) {
    if (ReadingPaused()) {
      input_waiting_ = buffered_input() > 0;
      return;
    }
    switch (splitter_->Next(&line)) {
      case protocol::LineSplitter::Event::kNeedMore:
        return;
      case protocol::LineSplitter::Event::kTooLong:
        ProtocolWarning(splitter_->error().message);
        StopReading();
        PushDone(Request{},
                 Response::Failure(splitter_->error().status, splitter_->error().message));
        return;
      case protocol::LineSplitter::Event::kLine: {
        partial_since_.reset();
        if (protocol::IsCrossProtocolLine(line)) {
          ProtocolWarning("cross-protocol (HTTP) request line; closing");
          // Lines before it are still answered; nothing after it is read.
          StopReading();
          MaybeFinish();
          return;
        }
        if (protocol::IsBlankLine(line)) break;
        if (pre_auth()) {
          // Refused by its command alone, as a binary request by its opcode.
          const std::string_view name = protocol::TextCommandName(line);
          if (name != "AUTH" && name != "PING" && name != "QUIT") {
            Unauthenticated(Request{});
            break;
          }
        }
        protocol::Result<Request> parsed = protocol::ParseTextRequest(line, service_->limits());
        if (!parsed.ok()) {
          service_->counters().protocol_errors++;
          PushDone(Request{}, Response::Failure(parsed.error().status, parsed.error().message));
        } else {
          Dispatch(std::move(parsed).value());
        }
        break;
      }
    }
  }
}

void Connection::Dispatch(Request request) {
  service_->counters().requests++;
  if (request.quit) {
    StopReading();
    PushDone(std::move(request), Response::Ok());
    return;
  }
  if (request.opcode == Opcode::kAuth) {
    Authenticate(std::move(request));
    return;
  }
  if (pre_auth() && request.opcode != Opcode::kPing) {
    Unauthenticated(std::move(request));
    return;
  }
  if (pre_auth() && request.ping_payload && request.ping_payload->size() > kPreAuthMaxPingBytes) {
    Unauthenticated(std::move(request), "; before AUTH, PING echoes at most " +
                                            std::to_string(kPreAuthMaxPingBytes) + " bytes");
    return;
  }
  if (Service::IsWrite(request.opcode)) {
    service_->counters().writes++;
    Push(Slot::Kind::kWrite, std::move(request));
  } else if (request.opcode == Opcode::kSnapshot) {
    Push(Slot::Kind::kSnapshot, std::move(request));
  } else {
    Push(Slot::Kind::kRead, std::move(request));
  }
}

void Connection::Authenticate(Request request) {
  if (!service_->auth_required()) {
    // As Redis does: a client that believes it authenticates is told that
    // nothing is protected, rather than OK.
    PushDone(std::move(request),
             Response::Failure(StatusCode::kBadRequest,
                               "AUTH called without any token configured (cairnd has no "
                               "--auth-token-file)"));
    return;
  }
  if (service_->TokenMatches(request.token)) {
    if (!authenticated_) {
      authenticated_ = true;
      registry_->MarkAuthenticated(id_);
      ApplyAuthenticatedLimits();
    }
    PushDone(std::move(request), Response::Ok());
    return;
  }
  ++auth_failures_;
  Warn(&AuthFailureWarnings(), "AUTH failed (" + std::to_string(auth_failures_) + " of " +
                                   std::to_string(kMaxAuthFailuresPerConnection) +
                                   " on this connection)");
  if (auth_failures_ < kMaxAuthFailuresPerConnection) {
    PushDone(std::move(request), Response::Failure(StatusCode::kUnauthorized, "wrong token"));
    return;
  }
  // Answered, then closed: requests pipelined after it are not read.
  StopReading();
  PushDone(std::move(request), Response::Failure(StatusCode::kUnauthorized,
                                                 "wrong token; too many failed AUTH attempts (" +
                                                     std::to_string(kMaxAuthFailuresPerConnection) +
                                                     "), closing the connection"));
}

void Connection::Unauthenticated(Request request, const std::string& detail) {
  PushDone(std::move(request), Response::Failure(StatusCode::kUnauthorized,
                                                 "authenticate first (AUTH token)" + detail));
}

void Connection::ApplyAuthenticatedLimits() {
  assert(!pre_auth());
  if (decoder_) decoder_->set_max_frame_bytes(service_->config().max_frame_bytes);
  if (splitter_) splitter_->set_max_line_bytes(service_->config().max_frame_bytes);
}

void Connection::Push(Slot::Kind kind, Request request) {
  const uint64_t bytes = kind == Slot::Kind::kWrite ? Service::PendingBytes(request) : 0;
  pending_bytes_ += bytes;
  slots_.push_back(Slot{kind, std::move(request), std::nullopt, bytes});
  Pump();
}

void Connection::PushDone(Request request, Response response) {
  slots_.push_back(Slot{Slot::Kind::kDone, std::move(request), std::move(response), 0});
  Pump();
}

bool Connection::StartSlot(uint64_t id) {
  Slot& slot = slots_[id - first_slot_id_];
  switch (slot.kind) {
    case Slot::Kind::kDone:
      break;
    case Slot::Kind::kRead:
      // Everything before it must finish first, and answers the client has
      // not taken yet must not pile up without bound.
      if (id != first_slot_id_ || OutputBacklogged()) return false;
      slot.response = service_->ExecuteRead(slot.request);
      break;
    case Slot::Kind::kWrite:
      SubmitWrite(id, &slot);
      break;
    case Slot::Kind::kSnapshot:
      if (id != first_slot_id_) return false;  // covers the writes sent before it
      RequestSnapshot(id);
      break;
  }
  return true;
}

void Connection::SubmitWrite(uint64_t id, Slot* slot) {
  const Opcode op = slot->request.opcode;
  storage::Mutation mutation = Service::ToMutation(&slot->request);
  ++writes_in_flight_;
  unsubmitted_.push_back(
      Writer::Write{std::move(mutation), slot->pending_bytes,
                    [self = shared_from_this(), id, op](const storage::MutationResult& result) {
                      self->Finish(id, Service::ToResponse(op, result));
                    },
                    /*queued_at=*/{}});
}

void Connection::SubmitWrites() {
  if (!unsubmitted_.empty()) writer_->Submit(&unsubmitted_);
}

void Connection::RequestSnapshot(uint64_t id) {
  snapshotter_->Request(
      [self = shared_from_this(), id](const storage::Status& s, uint64_t covered) {
        Response response =
            s.ok() ? Response::OkVersion(covered)
                   : Response::Failure(StatusCode::kIoError, "snapshot failed: " + s.ToString());
        self->Finish(id, std::move(response));
      });
}

void Connection::Finish(uint64_t slot_id, Response response) {
  bool post;
  {
    std::lock_guard lock(finished_mu_);
    finished_.emplace_back(slot_id, std::move(response));
    post = !take_posted_;
    take_posted_ = true;
  }
  // One post per connection, not per answer: a group's answers to this
  // connection arrive back to back, and the one TakeFinished after them
  // answers them all with one send.
  if (post) {
    asio::post(transport_->executor(), [self = shared_from_this()] { self->TakeFinished(); });
  }
}

void Connection::TakeFinished() {
  std::vector<std::pair<uint64_t, Response>> finished;
  {
    std::lock_guard lock(finished_mu_);
    finished.swap(finished_);
    take_posted_ = false;
  }
  for (auto& [slot_id, response] : finished) {
    assert(slot_id >= first_slot_id_ && slot_id - first_slot_id_ < slots_.size());
    Slot& slot = slots_[slot_id - first_slot_id_];
    if (slot.kind == Slot::Kind::kWrite) --writes_in_flight_;
    slot.response = std::move(response);
  }
  Pump();
}

void Connection::Pump() {
  if (closed_) return;
  bool answered = true;
  while (answered) {
    while (next_to_start_ < first_slot_id_ + slots_.size() && StartSlot(next_to_start_)) {
      ++next_to_start_;
    }
    answered = false;
    while (!slots_.empty() && slots_.front().response) {
      Slot& slot = slots_.front();
      Response& response = *slot.response;
      response.request_id = slot.request.request_id;
      if (static_cast<uint8_t>(response.status) >= static_cast<uint8_t>(StatusCode::kBadRequest)) {
        service_->counters().errors++;
      }
      if (mode_ == Mode::kText) {
        out_ += protocol::FormatTextResponse(slot.request, response);
      } else {
        protocol::EncodeResponse(response, &out_);
      }
      pending_bytes_ -= slot.pending_bytes;
      slots_.pop_front();
      ++first_slot_id_;
      answered = true;
    }
  }
  last_activity_ = Clock::now();
  // The writes and answers of what one read brought gather while it is
  // consumed: the writes go to the writer together (one group, so their
  // answers come back together) and the answers leave in one send.
  if (!consuming_) {
    SubmitWrites();
    DoWrite();
  }
  MaybeFinish();
  DoRead();
}

void Connection::DoWrite() {
  if (closed_ || !writing_.empty() || out_.empty()) return;
  writing_.swap(out_);
  written_ = 0;
  last_write_progress_ = Clock::now();
  WriteSome();
}

// One write_some at a time rather than async_write, so that each byte the
// client takes counts as progress against write_timeout_ms.
void Connection::WriteSome() {
  transport_->WriteSome(std::string_view(writing_).substr(written_),
                        [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
                          if (ec) {
                            self->writing_.clear();
                            self->written_ = 0;
                            spdlog::debug("connection {}: write failed: {}", self->peer_,
                                          ec.message());
                            self->Close();
                            return;
                          }
                          self->written_ += n;
                          self->last_write_progress_ = self->last_activity_ = Clock::now();
                          if (self->written_ < self->writing_.size()) {
                            self->WriteSome();
                            return;
                          }
                          self->writing_.clear();
                          self->written_ = 0;
                          self->Pump();
                        });
}

void Connection::MaybeFinish() {
  if (!closed_ && read_closed_ && slots_.empty() && out_.empty() && writing_.empty()) Close();
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  transport_->Close();
  timer_.cancel();
  if (admission_ == Admission::kServe) service_->counters().connections--;
  registry_->Remove(id_);
  id_ = 0;
}

void Connection::OnTimer() {
  if (closed_) return;
  if (admission_ != Admission::kServe) {
    Close();  // sent nothing within the grace period
    return;
  }
  const Config& config = service_->config();
  const auto now = Clock::now();
  if (pre_auth() && now - accepted_at_ > std::chrono::milliseconds(config.auth_timeout_ms)) {
    Warn(&AuthFailureWarnings(), "not authenticated within " +
                                     std::to_string(config.auth_timeout_ms) +
                                     " ms (--auth-timeout-ms); closing");
    Close();
    return;
  }
  // Only while waiting for the client: a request held back by the server's
  // own backpressure is not late.
  if (reading_ && partial_since_ &&
      now - *partial_since_ > std::chrono::milliseconds(config.frame_timeout_ms)) {
    ProtocolWarning("request not whole " + std::to_string(config.frame_timeout_ms) +
                    " ms after its first byte (--frame-timeout-ms); closing");
    Close();
    return;
  }
  if (!writing_.empty() &&
      now - last_write_progress_ > std::chrono::milliseconds(config.write_timeout_ms)) {
    ProtocolWarning("client took no answer byte for " + std::to_string(config.write_timeout_ms) +
                    " ms (--write-timeout-ms); closing");
    Close();
    return;
  }
  if (config.idle_timeout_s > 0 && slots_.empty() && out_.empty() && writing_.empty() &&
      now - last_activity_ > std::chrono::seconds(config.idle_timeout_s)) {
    spdlog::debug("connection {}: idle for {} s; closing", peer_, config.idle_timeout_s);
    Close();
    return;
  }
  timer_.expires_after(TimerPeriod());
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->OnTimer();
  });
}

void Connection::ProtocolWarning(const std::string& what) {
  service_->counters().protocol_errors++;
  Warn(&ProtocolWarnings(), what);
}

void Connection::Warn(RateLimiter* limiter, const std::string& what) const {
  uint64_t suppressed = 0;
  if (limiter->Allow(&suppressed)) {
    if (suppressed > 0) {
      spdlog::warn("connection {}: {} ({} similar warnings suppressed)", peer_, what, suppressed);
    } else {
      spdlog::warn("connection {}: {}", peer_, what);
    }
  }
}

}  // namespace cairn::server
