#include "server/connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
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
constexpr auto kOverLimitGrace = std::chrono::seconds(1);

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
  last_input_ = last_activity_ = Clock::now();
}

Connection::~Connection() {
  if (id_ != 0) registry_->Remove(id_);
}

void Connection::Start(bool over_limit) {
  over_limit_ = over_limit;
  id_ = registry_->Add(weak_from_this());
  if (!over_limit_) service_->counters().connections++;
  asio::post(transport_->executor(), [self = shared_from_this()] {
    // TLS: the handshake gets as long as a stalled frame would.
    self->transport_->Start(
        std::chrono::milliseconds(self->service_->config().frame_timeout_ms),
        [self](const boost::system::error_code& ec) { self->OnTransportStarted(ec); });
    self->timer_.expires_after(self->over_limit_ ? kOverLimitGrace : self->TimerPeriod());
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

Connection::Clock::duration Connection::TimerPeriod() const {
  auto period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::milliseconds(service_->config().frame_timeout_ms) / 4);
  if (service_->config().idle_timeout_s > 0) {
    period = std::min<Clock::duration>(period,
                                       std::chrono::seconds(service_->config().idle_timeout_s) / 4);
  }
  return std::clamp<Clock::duration>(period, std::chrono::milliseconds(10),
                                     std::chrono::seconds(1));
}

size_t Connection::buffered_input() const {
  if (decoder_) return decoder_->buffered_bytes();
  if (splitter_) return splitter_->buffered_bytes();
  return 0;
}

bool Connection::OutputBacklogged() const {
  return out_.size() + writing_.size() >= service_->config().max_pending_bytes_per_connection;
}

bool Connection::ReadingPaused() {
  const Config& config = service_->config();
  if (pending_bytes_ + out_.size() + writing_.size() > config.max_pending_bytes_per_connection ||
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
  reading_ = true;
  transport_->ReadSome(
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
  last_input_ = last_activity_ = Clock::now();
  // Consume may start writes and reads; none of them may start another
  // read of the socket until it is done.
  consuming_ = true;
  Consume(bytes);
  consuming_ = false;
  SubmitWrites();
  DoWrite();
  DoRead();
}

void Connection::Consume(std::string_view bytes) {
  if (mode_ == Mode::kUnknown) {
    while (!bytes.empty() && protocol::ClassifyModeByte(bytes[0]) == protocol::ModeByte::kSkip) {
      bytes.remove_prefix(1);
    }
    if (bytes.empty()) return;  // the mode is chosen by a later read
    if (protocol::ClassifyModeByte(bytes[0]) == protocol::ModeByte::kText) {
      mode_ = Mode::kText;
      splitter_.emplace(service_->config().max_frame_bytes);
    } else {
      mode_ = Mode::kBinary;
      decoder_.emplace(protocol::kRequestMagic, service_->config().max_frame_bytes);
    }
  }
  if (over_limit_) {
    service_->counters().connections_rejected++;
    Response busy = Response::Failure(StatusCode::kBusy,
                                      "server is at its connection limit (" +
                                          std::to_string(service_->config().max_connections) + ")");
    Request request;
    if (mode_ == Mode::kBinary && bytes.size() >= protocol::kHeaderSize) {
      request.request_id =
          protocol::DecodeHeader(bytes.substr(0, protocol::kHeaderSize)).request_id;
    }
    StopReading();
    PushDone(std::move(request), std::move(busy));
    return;
  }
  if (mode_ == Mode::kText) {
    splitter_->Feed(bytes);
    ConsumeText();
  } else {
    decoder_->Feed(bytes);
    ConsumeBinary();
  }
}

void Connection::ConsumeBinary() {
  protocol::Frame frame;
  while (!read_closed_) {
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
        if (protocol::IsCrossProtocolLine(line)) {
          ProtocolWarning("cross-protocol (HTTP) request line; closing");
          // Lines before it are still answered; nothing after it is read.
          StopReading();
          MaybeFinish();
          return;
        }
        if (protocol::IsBlankLine(line)) break;
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
  if (service_->auth_required() && !authenticated_ && request.opcode != Opcode::kPing) {
    PushDone(std::move(request),
             Response::Failure(StatusCode::kUnauthorized, "authenticate first (AUTH token)"));
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
    authenticated_ = true;
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
  transport_->Write(writing_, [self = shared_from_this()](const boost::system::error_code& ec) {
    self->writing_.clear();
    if (ec) {
      spdlog::debug("connection {}: write failed: {}", self->peer_, ec.message());
      self->Close();
      return;
    }
    self->last_activity_ = Clock::now();
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
  if (!over_limit_) service_->counters().connections--;
  registry_->Remove(id_);
  id_ = 0;
}

void Connection::OnTimer() {
  if (closed_) return;
  if (over_limit_) {
    Close();  // sent nothing within the grace period
    return;
  }
  const Config& config = service_->config();
  const auto now = Clock::now();
  if (reading_ && buffered_input() > 0 &&
      now - last_input_ > std::chrono::milliseconds(config.frame_timeout_ms)) {
    ProtocolWarning("partial request stalled for over " + std::to_string(config.frame_timeout_ms) +
                    " ms; closing");
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
