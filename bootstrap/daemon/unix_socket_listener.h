// UnixSocketListener: gbabridged's Unix socket, with the caller's identity taken from the
// kernel (SO_PEERCRED), never from what the caller says.
//
// gRPC 1.51's own "unix:" listener does not expose the peer credentials of a connection, so
// the daemon makes the socket itself, accepts in its own thread, reads SO_PEERCRED (uid, gid,
// pid) of each new connection, records fd -> identity, and only then hands the fd to the
// running grpc::Server (grpc::AddInsecureChannelFromFd, grpcpp/server_posix.h).
//
// For such a connection ServerContext::peer() is "fd:N" (N the accepted fd; checked by
// tests/unit/daemon/unix_socket_listener_test.cc), which ResolvePeer() maps back to the
// recorded identity. Why an fd number is a sound key: the gRPC transport owns the fd and
// closes it only when the transport is destroyed, which happens after every call on it has
// ended (each call holds a reference on its transport). So while a call runs, its fd number
// cannot be handed out by accept() to another connection; when accept() does return a
// number again, the previous connection is gone entirely and its entry is simply replaced.
// The map is thus bounded by the number of open fds, and the entry is written before gRPC
// ever sees the fd, so no call can find a stale one.
//
// Socket file (docs: examples/gbabridged.service):
// - The parent directory is created (0755) when missing; systemd normally provides it
//   (RuntimeDirectory=gbabridge, 0750).
// - A leftover socket file is removed only if nothing accepts connections on it (a crash
//   left it); a live one (another gbabridged) is an error, and so is a non-socket file.
// - bind() runs under umask 0177, so the socket is created 0600 and is never, even briefly,
//   accessible to others; it is then chown'ed to the configured group and chmod'ed to the
//   configured mode, in that order.
// - Stop() removes the file, if it is still ours (same inode).
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_UNIX_SOCKET_LISTENER_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_UNIX_SOCKET_LISTENER_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bootstrap/daemon/policy.h"

namespace grpc {
class Server;
class ServerContext;
}  // namespace grpc

namespace gbabridge::daemon {

// A group name or number (e.g. "gbabridge" or "990") to a gid.
absl::StatusOr<gid_t> ResolveGroup(std::string_view group);

struct UnixSocketListenerOptions {
  std::string path;
  mode_t mode = 0660;
  std::optional<gid_t> group;  // unset: the daemon's own (effective) group
  // Open connections one uid may hold; a further one is closed at accept (logged). Bounds
  // what one local user can cost (fds, gRPC transports) beside the thread cap.
  size_t max_connections_per_uid = 32;
};

class UnixSocketListener {
 public:
  // Creates, binds and listens on the socket (not accepting yet).
  static absl::StatusOr<std::unique_ptr<UnixSocketListener>> Create(
      UnixSocketListenerOptions options);
  ~UnixSocketListener();  // Stop()
  UnixSocketListener(const UnixSocketListener&) = delete;
  UnixSocketListener& operator=(const UnixSocketListener&) = delete;

  // Starts accepting connections into `server`, which must be started (BuildAndStart) and
  // outlive the listener's accepting (call StopAccepting() before server->Shutdown()).
  absl::Status Start(grpc::Server* server);
  // Stops accepting: joins the accept thread and closes the listening socket. Connections
  // already handed to gRPC live on. Idempotent.
  void StopAccepting();
  // StopAccepting(), then removes the socket file if it is still the one we made.
  void Stop();

  // The identity of a caller on one of our connections: context.peer() is "fd:N".
  // NOT_FOUND when the peer is not one of ours (e.g. a TCP peer).
  absl::StatusOr<PeerIdentity> Resolve(std::string_view peer) const;

  const std::string& path() const { return options_.path; }
  // Connections accepted so far.
  uint64_t accepted() const;

 private:
  UnixSocketListener(UnixSocketListenerOptions options, int listen_fd, int wake_fd, dev_t dev,
                     ino_t ino);
  void AcceptLoop(grpc::Server* server);

  const UnixSocketListenerOptions options_;
  int listen_fd_;
  int wake_fd_;  // eventfd: wakes the accept thread's poll() on stop
  const dev_t dev_;
  const ino_t ino_;
  std::thread thread_;

  mutable std::mutex mu_;
  // What accept() saw on each fd: the identity, and the socket's inode, so that Resolve()
  // can check that the fd still is that connection (never another socket under a reused
  // number) before it trusts the identity.
  struct AcceptedPeer {
    PeerIdentity identity;
    dev_t dev = 0;
    ino_t ino = 0;
    uid_t uid = 0;
    gid_t gid = 0;
  };
  std::map<int, AcceptedPeer> peers_;  // by accepted fd
  uint64_t accepted_ = 0;
  bool removed_ = false;
};

// Identifies the caller of one RPC (gba_bridge_service.h PeerResolver): a Unix peer through
// `unix_listener` (may be null), a TCP peer by the subject of its verified client certificate
// (auth context property "x509_subject", RFC 2253 form as gRPC prints it, e.g.
// "CN=meter,O=Acme"). PERMISSION_DENIED when neither applies.
absl::StatusOr<PeerIdentity> ResolvePeer(const grpc::ServerContext& context,
                                         const UnixSocketListener* unix_listener);

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_UNIX_SOCKET_LISTENER_H_
