// Test harness: BSFs that misbehave, on real loopback TCP, for the Ub fault tests.
//
// - RawFaultServer answers every request with a fault written as raw bytes: a 500, bytes
//   that are not HTTP, a reply broken off before its announced length, nothing at all
//   (a stall), a trickle of one byte every 500 ms (slowloris), or a connection reset in
//   the middle of the reply.
// - TamperingBsfProxy forwards to a real bsf-sim (so the challenge is one the card
//   accepts) and spoils its 200: a wrong or missing rspauth, a garbage or truncated body, or a 500;
//   or answers 500 to every request (no challenge at all); or replays the first challenge it
//   saw in place of every later one (a replayed vector: the card reports a synchronisation
//   failure, again after the resynchronisation). The tamper can be switched while it runs
//   (none: a faithful proxy), so a daemon can bootstrap, then meet faults.
#ifndef GBABRIDGE_TESTS_INTEGRATION_FAULTY_BSF_H_
#define GBABRIDGE_TESTS_INTEGRATION_FAULTY_BSF_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace gbabridge::testing {

enum class RawFault {
  kStatus500,
  kGarbage,
  kTruncated,
  kStall,
  kSlowloris,
  kReset,
  kHugeBody,     // a 401 with a 100 KiB body
  kHugeHeaders,  // a 401 with 40 KiB of headers
  kRedirect,     // a 302 to another server
};

class RawFaultServer {
 public:
  static absl::StatusOr<std::unique_ptr<RawFaultServer>> Start(RawFault fault);
  ~RawFaultServer();
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  RawFaultServer(RawFault fault, int listen_fd, int port);
  void AcceptLoop();
  void Serve(int fd);

  const RawFault fault_;
  const int listen_fd_;
  const int port_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> connections_;
};

enum class ReplyTamper {
  kWrongRspauth,
  kNoAuthenticationInfo,
  kGarbageBody,
  kTruncatedBody,
  kStatus500,
  kEvery500,
  kReplayFirstChallenge,
};

class TamperingBsfProxy {
 public:
  // `upstream` is bsf-sim's "HOST:PORT".
  static absl::StatusOr<std::unique_ptr<TamperingBsfProxy>> Start(
      const std::string& upstream, std::optional<ReplyTamper> tamper);
  ~TamperingBsfProxy();
  void SetTamper(std::optional<ReplyTamper> tamper);
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  TamperingBsfProxy() = default;
  std::optional<ReplyTamper> Tamper();
  // kReplayFirstChallenge: keeps the first challenge, returns it for every later one.
  std::string ReplayedChallenge(const std::string& challenge);

  std::mutex mu_;
  std::optional<ReplyTamper> tamper_;
  std::string first_challenge_;  // kReplayFirstChallenge: the first WWW-Authenticate seen
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace gbabridge::testing

#endif  // GBABRIDGE_TESTS_INTEGRATION_FAULTY_BSF_H_
