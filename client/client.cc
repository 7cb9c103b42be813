#include "client/client.h"

#include <utility>

#include "client/connection.h"
#include "client/requests.h"

namespace cairn {

namespace {

// The call's failure, or the answer read by reader (one of reply.h).
template <typename T>
Result<T> CallAndRead(Client* client, const protocol::Request& request,
                      Result<T> (*reader)(const protocol::Response&)) {
  Result<protocol::Response> answer = client->Call(request);
  if (!answer.ok()) return answer.status();
  return reader(answer.value());
}

// The call's failure, or the status of its answer.
Status StatusOf(const Result<protocol::Response>& answer) {
  return answer.ok() ? ReplyStatus(answer.value()) : answer.status();
}

}  // namespace

Client::Client(ClientOptions options) : options_(std::move(options)) {}

Client::~Client() { DetachPipelines(); }

Client::Client(Client&& other) noexcept
    : options_(std::move(other.options_)),
      connection_(std::move(other.connection_)),
      round_owner_(std::exchange(other.round_owner_, nullptr)) {
  // The pipelines stay with the object they were given.
  other.DetachPipelines();
  if (round_owner_ != nullptr) EndRound();
}

Client& Client::operator=(Client&& other) noexcept {
  if (this == &other) return *this;
  DetachPipelines();
  other.DetachPipelines();
  options_ = std::move(other.options_);
  connection_ = std::move(other.connection_);
  round_owner_ = std::exchange(other.round_owner_, nullptr);
  if (round_owner_ != nullptr) EndRound();
  return *this;
}

Status Client::Connect() { return Ready().status(); }

Status Client::Close() {
  if (round_owner_ != nullptr) {
    return Status(Code::kMisuse,
                  "Close() while a pipeline is open on this client (between its first Add() and "
                  "Finish()); not closed");
  }
  connection_.reset();
  return Status();
}

Result<Connection*> Client::Ready() {
  if (round_owner_ != nullptr) {
    return Status(Code::kMisuse,
                  "a call was made while a pipeline is open on this client (between its first "
                  "Add() and Finish()); not sent");
  }
  if (connection_ != nullptr && connection_->IsStale()) connection_.reset();
  if (connection_ == nullptr) {
    Result<std::unique_ptr<Connection>> opened = Connection::Open(options_);
    if (!opened.ok()) return opened.status();
    connection_ = std::move(opened).value();
  }
  return connection_.get();
}

Result<Connection*> Client::BeginRound(const Pipeline* pipeline) {
  Result<Connection*> connection = Ready();  // kMisuse while another round is open
  if (connection.ok()) round_owner_ = pipeline;
  return connection;
}

void Client::EndRound() {
  if (connection_ != nullptr && connection_->in_flight() > 0) connection_.reset();
  round_owner_ = nullptr;
}

void Client::Drop() { connection_.reset(); }

const std::shared_ptr<Client*>& Client::Anchor() {
  if (anchor_ == nullptr) anchor_ = std::make_shared<Client*>(this);
  return anchor_;
}

void Client::DetachPipelines() {
  if (anchor_ == nullptr) return;
  *anchor_ = nullptr;
  anchor_.reset();
}

Result<protocol::Response> Client::Call(const protocol::Request& request) {
  Result<Connection*> connection = Ready();
  if (!connection.ok()) return connection.status();
  if (Status queued = connection.value()->Queue(request); !queued.ok()) return queued;
  std::optional<protocol::Response> answer;
  Status status = connection.value()->Exchange(
      Connection::Until::kAnswered, [&answer](protocol::Response r) { answer = std::move(r); });
  if (!status.ok()) {
    Drop();
    return status;
  }
  if (request.opcode == protocol::Opcode::kAuth && answer->status == protocol::StatusCode::kOk) {
    options_.auth_token = request.token;
  }
  return std::move(*answer);
}

Status Client::Ping() { return StatusOf(Call(PingRequest())); }

Result<std::optional<Versioned>> Client::Get(std::string_view key) {
  return CallAndRead(this, GetRequest(key), ReadGetReply);
}

Result<uint64_t> Client::Put(std::string_view key, std::string_view value) {
  return CallAndRead(this, PutRequest(key, value), ReadVersionReply);
}

Result<CondResult> Client::Del(std::string_view key) {
  return CallAndRead(this, DelRequest(key), ReadCondReply);
}

Result<CondResult> Client::Del(std::string_view key, uint64_t expected_version) {
  return CallAndRead(this, DelRequest(key, expected_version), ReadCondReply);
}

Result<CondResult> Client::Cas(std::string_view key, uint64_t expected_version,
                               std::string_view value) {
  return CallAndRead(this, CasRequest(key, expected_version, value), ReadCondReply);
}

Result<IncrResult> Client::Incr(std::string_view key, int64_t delta) {
  return CallAndRead(this, IncrRequest(key, delta), ReadIncrReply);
}

Result<uint64_t> Client::Batch(const WriteBatch& batch) {
  // protocol::EncodeRequest requires operations; the server would refuse
  // none with the same status.
  if (batch.empty()) {
    return Status(Code::kBadRequest, "a batch needs at least one operation; not sent");
  }
  if (batch.size() > protocol::kMaxBatchOps) {
    return Status(Code::kBadRequest,
                  "a batch holds at most " + std::to_string(protocol::kMaxBatchOps) +
                      " operations, this one " + std::to_string(batch.size()) + "; not sent");
  }
  return CallAndRead(this, BatchRequest(batch), ReadVersionReply);
}

ScanIterator Client::Scan(ScanRange range, uint32_t page_size) {
  return ScanIterator(this, std::move(range), page_size);
}

Result<nlohmann::json> Client::Stats() { return CallAndRead(this, StatsRequest(), ReadStatsReply); }

Result<uint64_t> Client::Snapshot() {
  return CallAndRead(this, SnapshotRequest(), ReadVersionReply);
}

Status Client::Auth(std::string_view token) { return StatusOf(Call(AuthRequest(token))); }

}  // namespace cairn
