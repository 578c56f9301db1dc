#include "proto/zn_diameter/zn_diameter_client.h"

// clang-format off
#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdcore.h>
// clang-format on

#include <time.h>

#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace gbabridge::zn_diameter {
namespace {

// One outstanding request: the core's threads fill it, the caller waits on it.
struct Pending {
  std::mutex mutex;
  std::condition_variable done;
  bool finished = false;
  msg* answer = nullptr;  // owned once finished; null after a timeout
  std::string expired_at;
  bool abandoned = false;            // the caller stopped waiting: a late answer is freed here
  const ZnDictionary* zn = nullptr;  // to wipe a late answer's key material
};

void OnAnswer(void* data, msg** answer) {
  auto* pending = static_cast<Pending*>(data);
  std::lock_guard<std::mutex> lock(pending->mutex);
  if (pending->abandoned) {
    WipeKeyMaterial(*pending->zn, *answer);
    fd_msg_free(*answer);
    *answer = nullptr;
    return;
  }
  pending->answer = *answer;
  *answer = nullptr;  // ours now
  pending->finished = true;
  pending->done.notify_one();
}

void OnExpired(void* data, DiamId_t sent_to, size_t sent_to_len, msg** request) {
  auto* pending = static_cast<Pending*>(data);
  std::lock_guard<std::mutex> lock(pending->mutex);
  if (sent_to != nullptr) pending->expired_at.assign(sent_to, sent_to_len);
  if (*request != nullptr) {
    fd_msg_free(*request);
    *request = nullptr;
  }
  pending->finished = true;
  pending->done.notify_one();
}

// Sends and waits; the answer (a msg the caller frees) or an error.
absl::StatusOr<msg*> SendAndWait(const DiameterNode& node, const ZnQuery& query,
                                 const std::string& realm, const std::string& host,
                                 absl::Duration timeout) {
  absl::StatusOr<msg*> request = BuildZnRequest(node.zn(), query, realm, host);
  if (!request.ok()) return request.status();
  // The callbacks may run after a timeout here: the shared state outlives this frame only
  // as long as freeDiameter holds `data`, which ends with OnAnswer or OnExpired.
  auto pending = std::make_shared<Pending>();
  pending->zn = &node.zn();
  auto* raw = new std::shared_ptr<Pending>(pending);
  timespec deadline{};
  clock_gettime(CLOCK_REALTIME, &deadline);
  const int64_t ms = absl::ToInt64Milliseconds(timeout);
  deadline.tv_sec += ms / 1000;
  deadline.tv_nsec += (ms % 1000) * 1000000;
  if (deadline.tv_nsec >= 1000000000) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1000000000;
  }
  msg* m = *request;
  // The trampolines take the heap shared_ptr and delete it when they are done.
  auto on_answer = [](void* data, msg** answer) {
    auto* holder = static_cast<std::shared_ptr<Pending>*>(data);
    OnAnswer(holder->get(), answer);
    delete holder;
  };
  auto on_expired = [](void* data, DiamId_t to, size_t len, msg** req) {
    auto* holder = static_cast<std::shared_ptr<Pending>*>(data);
    OnExpired(holder->get(), to, len, req);
    delete holder;
  };
  if (int rc = fd_msg_send_timeout(&m, on_answer, raw, on_expired, &deadline); rc != 0) {
    delete raw;
    if (m != nullptr) fd_msg_free(m);
    return absl::UnavailableError(
        absl::StrCat("cannot send the Zn request to ", host, ": ", std::strerror(rc)));
  }
  std::unique_lock<std::mutex> lock(pending->mutex);
  // The core's timeout fires OnExpired; a margin covers a core that is shutting down.
  if (!pending->done.wait_for(lock, absl::ToChronoMilliseconds(timeout + absl::Seconds(2)),
                              [&] { return pending->finished; }) ||
      pending->answer == nullptr) {
    pending->abandoned = true;
    return absl::UnavailableError(absl::StrCat(
        "the BSF ", host, " did not answer the Zn request within ", absl::FormatDuration(timeout)));
  }
  return pending->answer;
}

}  // namespace

absl::Status StatusFromZnResult(const ZnResult& result, std::string_view bsf_identity) {
  const std::string code = absl::StrCat(result.code, " ", std::string(ResultCodeName(result.code)));
  const std::string said =
      result.error_message.empty() ? "" : absl::StrCat(": ", result.error_message);
  const std::string bsf(bsf_identity);
  switch (result.code) {
    case kErrorTransactionIdentifierInvalid:
      return absl::NotFoundError(absl::StrCat(
          "the BSF does not know this B-TID or it has expired (", code,
          said.empty() ? "): make the UE bootstrap again (TS 24.109 §5.2.4)" : said + ")"));
    case kErrorIdentityUnknown:
      return absl::NotFoundError(
          absl::StrCat("the BSF no longer knows the subscriber of this B-TID (", code, said, ")"));
    case kErrorNotAuthorized:
      return absl::PermissionDeniedError(absl::StrCat(
          "the BSF does not give this NAF the key (", code, said,
          "): bsf-sim gives a Diameter peer only the keys of the FQDNs configured for it, and "
          "a subscriber's USS may exclude the NAF"));
    case kDiameterUnableToDeliver:
      return absl::UnavailableError(
          absl::StrCat("the BSF peer ", bsf, " is not connected (", code, said, ")"));
    case kDiameterTooBusy:
    case kDiameterUnableToComply:
      return absl::UnavailableError(
          absl::StrCat("the BSF ", bsf, " could not answer (", code, said, "); retry later"));
    default:
      if (result.code >= 3000 && result.code < 5000) {
        return absl::UnavailableError(absl::StrCat("the BSF ", bsf, " answered ", code, said));
      }
      return absl::InvalidArgumentError(
          absl::StrCat("the BSF ", bsf, " refused the request: ", code, said));
  }
}

ZnDiameterClient::ZnDiameterClient(const DiameterNode& node, std::string bsf_identity,
                                   std::string bsf_realm)
    : node_(node),
      bsf_identity_(std::move(bsf_identity)),
      bsf_realm_(bsf_realm.empty() ? DefaultDiameterRealm(bsf_identity_) : std::move(bsf_realm)) {}

absl::StatusOr<ZnKeyAnswer> ZnDiameterClient::Lookup(const ZnQuery& query,
                                                     absl::Duration timeout) const {
  absl::StatusOr<msg*> answer = SendAndWait(node_, query, bsf_realm_, bsf_identity_, timeout);
  if (!answer.ok()) return answer.status();
  absl::StatusOr<ZnResult> result = ReadZnResult(node_.zn(), *answer);
  absl::StatusOr<ZnKeyAnswer> keys = absl::UnknownError("no answer");
  if (!result.ok()) {
    keys = result.status();
  } else if (!result->success()) {
    keys = StatusFromZnResult(*result, bsf_identity_);
  } else {
    keys = ReadZnKeyAnswer(node_.zn(), *answer);
  }
  WipeKeyMaterial(node_.zn(), *answer);
  fd_msg_free(*answer);  // frees the request with it
  return keys;
}

absl::StatusOr<ZnResult> ZnDiameterClient::Exchange(const ZnQuery& query,
                                                    absl::Duration timeout) const {
  absl::StatusOr<msg*> answer = SendAndWait(node_, query, bsf_realm_, bsf_identity_, timeout);
  if (!answer.ok()) return answer.status();
  absl::StatusOr<ZnResult> result = ReadZnResult(node_.zn(), *answer);
  WipeKeyMaterial(node_.zn(), *answer);
  fd_msg_free(*answer);
  return result;
}

}  // namespace gbabridge::zn_diameter
